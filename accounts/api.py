"""/api/accounts: who am I."""

from ninja import Router, Schema

from flexserve import policy

router = Router()


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    department: str | None
    shop_id: int | None
    permissions: list[str]


@router.get("/me", response=MeOut, summary="The signed-in user, role and permissions")
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "department": user.department.name if user.department_id else None,
        "shop_id": policy.owned_shop_id(user) if user.is_shop_owner else None,
        "permissions": sorted(p.value for p in policy.ROLE_PERMS.get(user.role, ())),
    }
