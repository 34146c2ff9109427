"""Staff APIs and pages check the role's permission for the action (stations.selectors.ROLE_ACTIONS), then
the station scope narrows the rows."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from stations.selectors import staff_may


class StaffMay(BasePermission):
    def has_permission(self, request, view):
        return staff_may(user=request.user, action=view.staff_action)


class StaffApi(APIView):
    """Subclasses name the action they perform in `staff_action`."""

    permission_classes = [StaffMay]
    staff_action: str


def staff_required(action: str):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not staff_may(user=request.user, action=action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
