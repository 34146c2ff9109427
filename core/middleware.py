"""Domain errors that escape a page view become a readable page with the error's HTTP status (the
API maps them in core.exceptions.api_exception_handler)."""

from django.shortcuts import render

from core.exceptions import FuelpayError


class DomainErrorPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, FuelpayError) or request.path.startswith("/api/"):
            return None
        return render(request, "error.html", {"error": exception}, status=exception.http_status)
