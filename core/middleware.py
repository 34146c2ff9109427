"""Domain errors that escape a page view become a readable page with the error's HTTP status (the
API maps them in core.exceptions.api_exception_handler). A page's 404 and 403 get the designed pages in
development too, instead of Django's debug page (the admin and the API keep their own)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from core.exceptions import FuelpayError

_DESIGNED_PAGES = ((Http404, "404.html", 404), (PermissionDenied, "403.html", 403))


class DomainErrorPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith(("/api/", "/admin/")):
            return None
        if isinstance(exception, FuelpayError):
            return render(request, "error.html", {"error": exception}, status=exception.http_status)
        for exception_class, template, status in _DESIGNED_PAGES:
            if isinstance(exception, exception_class):
                return render(request, template, status=status)
        return None


class PermissionsPolicyMiddleware:
    """Browser features the pages may use: location for nearby stations, nothing else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class AdminThemeCSPMiddleware:
    """The back office's theme (django-unfold) runs on Alpine.js, which evaluates its x-show/x-on attributes
    with `new Function`: the pages drawn in it (the admin, and the finance and shift pages that extend its
    base template) alone add 'unsafe-eval' to script-src. Scripts still come only from this origin or carry
    the request's nonce; no driver or console page gets it. Listed after csp's middleware, so this runs first
    on the way out."""

    THEMED_PREFIXES = ("/admin/", "/finance/", "/shifts/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.THEMED_PREFIXES):
            response._csp_update = {"script-src": ["'unsafe-eval'"]}
        return response
