from django.urls import path

from settlement import views

urlpatterns = [
    path("finance/", views.day_list, name="finance-days"),
    path("finance/close/", views.day_close, name="finance-day-close"),
    path("finance/reconcile/", views.day_reconcile, name="finance-day-reconcile"),
    path("finance/days/<int:day_id>/", views.day_detail, name="finance-day"),
    path("finance/days/<int:day_id>/pdf/", views.day_pdf_download, name="finance-day-pdf"),
    path("finance/export.csv", views.export_csv, name="finance-export-csv"),
    path("finance/export.xlsx", views.export_xlsx, name="finance-export-xlsx"),
    path("finance/discrepancies/", views.discrepancies, name="finance-discrepancies"),
    path("finance/discrepancies/<int:discrepancy_id>/", views.discrepancy_detail, name="finance-discrepancy"),
    path("finance/payouts/", views.payouts, name="finance-payouts"),
    path("finance/payouts/<int:batch_id>/transition/", views.payout_transition, name="finance-payout-transition"),
    path("finance/payouts/<int:batch_id>/bank-file/", views.payout_bank_file_download, name="finance-payout-bank-file"),
    path("finance/vouchers/", views.vouchers, name="finance-vouchers"),
    path("finance/partner-coupons/", views.partner_settlement, name="finance-partner-coupons"),
    path("shifts/", views.shifts, name="shifts"),
    path("shifts/open/", views.shift_open_view, name="shift-open"),
    path("shifts/<int:shift_id>/", views.shift_detail, name="shift"),
    path("shifts/<int:shift_id>/pdf/", views.shift_pdf_download, name="shift-pdf"),
    path("shifts/<int:shift_id>/hand-over/", views.shift_hand_over_view, name="shift-hand-over"),
]
