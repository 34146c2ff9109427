from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from drivers import urls as driver_urls
from fuelpay.views import healthz
from marketing import urls as marketing_urls
from orders import urls as order_urls
from settlement import urls as settlement_urls
from stations import urls as station_urls
from stations.admin_login import admin_site_require_second_factor
from wallet import urls as wallet_urls

# Titles come from settings.UNFOLD; the home page is the role's dashboard (fuelpay.admin_console).
admin.site.index_template = "admin/fuelpay_dashboard.html"
admin.site.index_title = _("Dashboard")
admin_site_require_second_factor(admin.site)

api_urlpatterns = station_urls.api_urlpatterns + wallet_urls.api_urlpatterns + order_urls.api_urlpatterns

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(station_urls.urlpatterns + station_urls.driver_urlpatterns)),
    path("", include(driver_urls.urlpatterns)),
    path("", include(wallet_urls.urlpatterns)),
    path("", include(order_urls.urlpatterns)),
    path("", include(marketing_urls.urlpatterns)),
    path("", include(settlement_urls.urlpatterns)),
    path("", RedirectView.as_view(url="/me/", permanent=False), name="home"),
]
