"""Form bases every app's pages use: service errors shown on the form's fields."""

from django import forms

from flexserve.errors import AppError, Invalid


class ServiceErrorsMixin:
    """Show a service's ``Invalid.fields`` on the matching form fields (others on the form)."""

    def add_service_errors(self, exc: Invalid) -> None:
        if not exc.fields:
            self.add_error(None, exc.render_message())
        for key, messages in exc.fields.items():
            name = key if key in self.fields else f"{key}_id"
            self.add_error(name if name in self.fields else None, list(messages))


class ConsoleForm(ServiceErrorsMixin, forms.Form):
    """A form whose service failure (any AppError) is shown on it."""

    def add_app_error(self, exc: AppError) -> None:
        if isinstance(exc, Invalid):
            self.add_service_errors(exc)
        else:
            self.add_error(None, exc.render_message())
