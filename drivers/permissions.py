"""Who counts as a signed-in driver, for pages (driver_required) and APIs (DriverApi) of every app."""

import functools

from django.shortcuts import redirect
from django.urls import reverse
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView


def _is_driver(user) -> bool:
    return bool(user.is_authenticated and hasattr(user, "driver"))


def driver_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _is_driver(request.user):
            return redirect(f"{reverse('driver-sign-in')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapper


class IsDriver(BasePermission):
    def has_permission(self, request, view):
        return _is_driver(request.user)


class DriverApi(APIView):
    permission_classes = [IsDriver]
