"""Staff pickers name each colleague with the user name they log in with (issue 13): a newcomer
finds "张伟 (staff01)" without looking it up."""

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.forms import ShopEditForm
from knowledge.forms import EntryForm
from servicedesk.forms_console import AssignForm

pytestmark = pytest.mark.django_db


def _labels(choices) -> list[str]:
    flat = []
    for _value, label in choices:
        flat += [str(inner) for _pk, inner in label] if isinstance(label, list) else [str(label)]
    return flat


def test_picker_label_is_the_name_and_the_user_name():
    assert UserFactory.build(username="staff01", full_name="张伟").picker_label == "张伟 (staff01)"
    assert UserFactory.build(username="staff02", full_name="").picker_label == "staff02"


def test_assign_account_manager_and_owner_pickers_show_user_names():
    staff = UserFactory(username="staff01", full_name="张伟", role=Role.SERVICE_STAFF)
    assert "张伟 (staff01)" in _labels(AssignForm(staff=[staff]).fields["assignee_id"].choices)
    manager = UserFactory(username="am01", full_name="方庆红", role=Role.ACCOUNT_MANAGER)
    shop_form = ShopEditForm(account_managers=[manager])
    assert "方庆红 (am01)" in _labels(shop_form.fields["account_manager_id"].choices)
    assert "张伟 (staff01)" in _labels(EntryForm(owners=[staff]).fields["owner_id"].choices)


def test_the_header_names_a_staff_member_with_their_user_name(client_for):
    staff = UserFactory(username="staff01", full_name="张伟", role=Role.SERVICE_STAFF)
    body = client_for(staff).get("/console/requests/", follow=True).content.decode()
    assert "张伟 (staff01)" in body
