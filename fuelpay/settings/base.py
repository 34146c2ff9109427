"""Everything is defined here; local/test/production only override. Defaults are the embedded ones."""

from datetime import timedelta

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from core.env import BASE_DIR, VAR_DIR, env_bool, env_int, env_list, env_str

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # The admin theme (pyproject.toml says why unfold); it must come before django.contrib.admin.
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # Content-Security-Policy with per-request script nonces (no 'unsafe-inline' for scripts); Mozilla's.
    "csp",
    # Admin/staff login lockout and failed-login log (by user name and client address together).
    "axes",
    # TOTP second factor for staff (see stations/admin_login.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Bottom to top, as the layers in pyproject.toml's import-linter contract.
    "core",
    "stations",
    "drivers",
    "marketing",
    "wallet",
    "pumpgateway",
    "orders",
    "settlement",
    "fuelpay",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.AdminThemeCSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "drivers.middleware.DriverDeviceMiddleware",
    "core.middleware.DomainErrorPageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",  # first: counts failures and refuses locked-out clients
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "fuelpay.urls"
WSGI_APPLICATION = "fuelpay.wsgi.application"
ASGI_APPLICATION = "fuelpay.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fuelpay.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web, worker and pump bridge processes read while one writes; a generous busy
    # timeout turns writer contention into waiting instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A wallet row held longer than this is contention, reported as WalletBusy (retryable).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c lock_timeout=3000"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
CURRENCY_SYMBOL = "¥"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# Production serves hashed static names from a manifest; the image build (settings.build) collects with the same.
MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

LOGIN_URL = "/admin/login/"

# --- Back office (django-unfold) ----------------------------------------------------------------
# Every asset (CSS, fonts, icons, Chart.js, Alpine) is served from unfold's own static files; the
# console loads nothing from the internet. Navigation is grouped by what each role does; the
# callbacks in fuelpay.admin_console decide who sees a group.
UNFOLD = {
    "SITE_TITLE": _("fuelpay back office"),
    "SITE_HEADER": _("fuelpay back office"),
    "SITE_SYMBOL": "local_gas_station",
    "SHOW_LANGUAGES": True,
    "DASHBOARD_CALLBACK": "fuelpay.admin_console.dashboard_callback",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": "fuelpay.admin_console.sidebar_navigation",
    },
}
# --- Browser protections (every environment, so the browser tests run under them) -------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],  # inline scripts carry {{ request.csp_nonce }}; no 'unsafe-inline'
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), serial=()"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Staff (admin) login lockout: AXES_FAILURE_LIMIT wrong passwords for one user name from one address lock that
# pair for AXES_COOLOFF_TIME; every failure is logged (axes' AccessFailureLog and the log).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.audit.client_ip_get"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts and failures are still logged
# Staff with a TOTP device always give its code; platform and enterprise admins must have one where this is on
# (production turns it on).
OTP_REQUIRED_FOR_ADMINS = env_bool("OTP_REQUIRED_FOR_ADMINS", False)
OTP_TOTP_ISSUER = "fuelpay"
# Reverse proxies in front of the app that append the client to X-Forwarded-For (docker-compose: none; behind
# one nginx: 1). The client address for limits and the audit log is taken that many entries from the right.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonThrottle",
        "core.throttling.DriverThrottle",
        "core.throttling.StaffThrottle",
    ],
}
API_THROTTLE_RATES = {
    "anon": env_str("API_THROTTLE_ANON", "60/min"),
    "driver": env_str("API_THROTTLE_DRIVER", "120/min"),
    "staff": env_str("API_THROTTLE_STAFF", "300/min"),
    "transfer": env_str("API_THROTTLE_TRANSFER", "10/hour"),
}
# Throttle counters: per process by default; production points CACHE_URL at Redis so all workers share them.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL", "")}
        if env_str("CACHE_URL", "")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Field encryption (bank accounts, plates): comma-separated Fernet keys, newest first. Rotating:
# prepend a new key, run `manage.py rotate_field_encryption`, then drop the old key.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])

# --- Celery ---------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, a real broker a real worker consumes, with no
# server. Production and CI point CELERY_BROKER_URL at Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "polling_interval": 0.05,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu's filesystem transport with atomic writes: its own lets a worker read a half-written message.
    CELERY_BROKER_TRANSPORT = "fuelpay.broker:Transport"
    # The embedded broker's folders must exist before any process publishes or consumes.
    (VAR_DIR / "broker" / "queue").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "broker" / "control").mkdir(parents=True, exist_ok=True)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (
    Queue("default", Exchange("default"), routing_key="default"),
    Queue("pumps", Exchange("pumps"), routing_key="pumps"),
)
CELERY_TASK_ROUTES = {"pumpgateway.tasks.pump_*": {"queue": "pumps", "routing_key": "pumps"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Ledger / wallet rules --------------------------------------------------------------------
# Hot system accounts are split into this many bucket rows so concurrent postings do not queue
# on one row lock; balances are summed on read.
LEDGER_HOT_ACCOUNT_BUCKETS = env_int("LEDGER_HOT_ACCOUNT_BUCKETS", 16)
# The hash chain is an HMAC under this key (kept outside the database): a database writer who rewrites history
# cannot rebuild a chain that verifies. Empty = unkeyed SHA-256 (databases chained before the key existed).
LEDGER_CHAIN_KEY = env_str("LEDGER_CHAIN_KEY", "")
# Beat appends a signed chain-head checkpoint here (and logs it); verify_ledger checks the chain against them.
LEDGER_CHECKPOINT_FILE = env_str("LEDGER_CHECKPOINT_FILE", str(VAR_DIR / "ledger-checkpoints.jsonl"))
# Limits for a registered (实名) single-purpose prepaid wallet, in fen.
WALLET_MAX_TOP_UP_FEN = env_int("WALLET_MAX_TOP_UP_FEN", 500_000)
WALLET_DAILY_TOP_UP_LIMIT_FEN = env_int("WALLET_DAILY_TOP_UP_LIMIT_FEN", 500_000)
WALLET_MAX_BALANCE_FEN = env_int("WALLET_MAX_BALANCE_FEN", 500_000)
WALLET_MIN_TOP_UP_FEN = env_int("WALLET_MIN_TOP_UP_FEN", 100)
WALLET_TOP_UP_TIERS_FEN = [20_000, 50_000, 100_000, 200_000]
WALLET_TRANSFER_MAX_FEN = env_int("WALLET_TRANSFER_MAX_FEN", 100_000)
# A transfer of at least this much asks for an SMS code sent to the sender's phone (step-up).
WALLET_TRANSFER_SMS_FROM_FEN = env_int("WALLET_TRANSFER_SMS_FROM_FEN", 50_000)
# What one driver may send by transfer per calendar day and month (withdrawals only refund top-ups).
WALLET_TRANSFER_DAILY_LIMIT_FEN = env_int("WALLET_TRANSFER_DAILY_LIMIT_FEN", 100_000)
WALLET_TRANSFER_MONTHLY_LIMIT_FEN = env_int("WALLET_TRANSFER_MONTHLY_LIMIT_FEN", 300_000)
WALLET_HOLD_TTL_SECONDS = env_int("WALLET_HOLD_TTL_SECONDS", 900)
PLATFORM_FEE_BPS = env_int("PLATFORM_FEE_BPS", 30)  # the default rate where no FeeContract applies
# --- Settlement -------------------------------------------------------------------------------
# A business day D runs from D 00:00 plus this many minutes (Asia/Shanghai) to the same time on D+1.
SETTLEMENT_DAY_CUTOFF_MINUTES = env_int("SETTLEMENT_DAY_CUTOFF_MINUTES", 0)
# Where the payment provider's daily statement files (对账单) are read from and the simulator writes them.
SETTLEMENT_STATEMENT_DIR = VAR_DIR / "statements"
# A shift's nozzle differs "beyond tolerance" when litres disagree by more than this (pump metering rounds).
SHIFT_TOLERANCE_ML = env_int("SHIFT_TOLERANCE_ML", 200)
# How long closing a shift waits for the pumps' fresh totalizers (CD101 through the bridge) before it asks
# for manual readings of the nozzles whose pump did not answer.
SHIFT_TOTALIZER_WAIT_SECONDS = env_int("SHIFT_TOTALIZER_WAIT_SECONDS", 10)

# Payment provider: the local simulator (WeChat Pay / Alipay style signed async notifications).
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "simulator")
PAYMENT_SIMULATOR_SECRET = env_str("PAYMENT_SIMULATOR_SECRET", "")
# A signed notification older than this (or with a nonce already received) is a replay: refused before any work.
PAYMENT_NOTIFICATION_MAX_AGE_SECONDS = env_int("PAYMENT_NOTIFICATION_MAX_AGE_SECONDS", 300)

# --- Marketing (loyalty) ---------------------------------------------------------------------
# 积分: one point per this many fen paid (100: a point per ¥1; 10_000: a point per ¥100).
LOYALTY_FEN_PER_POINT = env_int("LOYALTY_FEN_PER_POINT", 100)
LOYALTY_POINTS_VALID_DAYS = env_int("LOYALTY_POINTS_VALID_DAYS", 365)
# 积分抵扣: points a driver spends for ¥1 off at the pump, and the most of an order points may pay (basis points).
LOYALTY_POINTS_PER_YUAN_REDEEMED = env_int("LOYALTY_POINTS_PER_YUAN_REDEEMED", 100)
LOYALTY_POINTS_MAX_SHARE_BASIS_POINTS = env_int("LOYALTY_POINTS_MAX_SHARE_BASIS_POINTS", 5000)
# Segments (marketing.segments): high value from this 90-day spend; at risk / dormant after these days unseen.
SEGMENT_HIGH_VALUE_SPEND_90D_FEN = env_int("SEGMENT_HIGH_VALUE_SPEND_90D_FEN", 300_000)
SEGMENT_AT_RISK_AFTER_DAYS = env_int("SEGMENT_AT_RISK_AFTER_DAYS", 30)
SEGMENT_DORMANT_AFTER_DAYS = env_int("SEGMENT_DORMANT_AFTER_DAYS", 60)
# 消息通知: the channel (marketing.channels), quiet hours (local, across midnight) and the most non-money
# messages a driver gets a day.
NOTIFICATION_CHANNEL = env_str("NOTIFICATION_CHANNEL", "marketing.channels.RecordingChannel")
NOTIFICATION_QUIET_HOURS = (env_int("NOTIFICATION_QUIET_FROM", 22), env_int("NOTIFICATION_QUIET_TO", 8))
NOTIFICATION_MAX_PER_DAY = env_int("NOTIFICATION_MAX_PER_DAY", 2)
# The SMS and WeChat template channels send through these gateways; the simulators record what they would
# send in the outbox file (production refuses them unless ALLOW_DEMO_NOTIFICATION_GATEWAY=true).
NOTIFICATION_SMS_GATEWAY = env_str("NOTIFICATION_SMS_GATEWAY", "marketing.channels.SmsSimulatorGateway")
NOTIFICATION_WECHAT_GATEWAY = env_str(
    "NOTIFICATION_WECHAT_GATEWAY", "marketing.channels.WechatTemplateSimulatorGateway"
)
NOTIFICATION_OUTBOX_PATH = env_str("NOTIFICATION_OUTBOX_PATH", str(VAR_DIR / "notification-outbox.jsonl"))
# The provider-approved template for each kind of message (SMS template codes, WeChat template ids).
NOTIFICATION_SMS_TEMPLATES = {
    "receipt": "SMS_FP_RECEIPT",
    "top_up": "SMS_FP_TOP_UP",
    "low_balance": "SMS_FP_LOW_BALANCE",
    "expiring": "SMS_FP_EXPIRING",
    "campaign": "SMS_FP_OFFER",
    "refuel_reminder": "SMS_FP_REFUEL",
    "birthday": "SMS_FP_BIRTHDAY",
}
NOTIFICATION_WECHAT_TEMPLATES = {
    kind: code.replace("SMS_FP_", "WX_FP_") for kind, code in NOTIFICATION_SMS_TEMPLATES.items()
}
# Triggers: a payment that leaves the wallet below this warns the driver; coupons and contracts are announced
# this many days before they end.
NOTIFICATION_LOW_BALANCE_FEN = env_int("NOTIFICATION_LOW_BALANCE_FEN", 10_000)
NOTIFICATION_EXPIRING_DAYS = env_int("NOTIFICATION_EXPIRING_DAYS", 3)

# --- Pump gateway -------------------------------------------------------------------------
# The largest volume any authorization may preset (an amount preset is bounded by ORDER_MAX_AMOUNT_FEN).
PUMP_MAX_PRESET_VOLUME_ML = env_int("PUMP_MAX_PRESET_VOLUME_ML", 300_000)
PUMP_AUTHORIZE_LIFT_TIMEOUT_SECONDS = env_int("PUMP_AUTHORIZE_LIFT_TIMEOUT_SECONDS", 120)
# How often a bridge looks in the database for commands whose Celery wake-up it may have missed.
PUMP_COMMAND_SCAN_SECONDS = float(env_str("PUMP_COMMAND_SCAN_SECONDS", "0.5"))
# A bridge heartbeats every second; a line silent this long has no live bridge: refuse, and mark it offline.
PUMP_BRIDGE_SILENT_SECONDS = env_int("PUMP_BRIDGE_SILENT_SECONDS", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Pay at the pump ---------------------------------------------------------------------------
# "Fill up" authorizes up to this amount (or the balance, if lower); the rest is released at capture.
ORDER_FILL_UP_CAP_FEN = env_int("ORDER_FILL_UP_CAP_FEN", 50_000)
ORDER_MIN_AMOUNT_FEN = env_int("ORDER_MIN_AMOUNT_FEN", 1_000)
ORDER_MAX_AMOUNT_FEN = env_int("ORDER_MAX_AMOUNT_FEN", 200_000)
ORDER_AMOUNT_PRESETS_FEN = [10_000, 20_000, 30_000, 50_000]
# Postpaid: how far back a driver may look for their fill.
POSTPAID_WINDOW_MINUTES = env_int("POSTPAID_WINDOW_MINUTES", 15)
# An unpaid attendant fill stays on the console until it is resolved (app, counter, drive-off); one still
# open after a shift is listed for the station manager (docs/fill-resolution.md).
FORECOURT_SHIFT_HOURS = env_int("FORECOURT_SHIFT_HOURS", 8)

# --- Driver sign-in (SMS one-time codes) ---------------------------------------------------------
SMS_BACKEND = env_str("SMS_BACKEND", "drivers.sms.ConsoleFileSmsBackend")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms-outbox.jsonl"))
SMS_CODE_TTL_SECONDS = env_int("SMS_CODE_TTL_SECONDS", 300)
SMS_RESEND_SECONDS = env_int("SMS_RESEND_SECONDS", 60)  # one code per phone and client per minute
SMS_MAX_PER_PHONE_PER_HOUR = 5  # per phone and client (address + bound device)
SMS_MAX_PER_PHONE_PER_HOUR_ALL_CLIENTS = env_int("SMS_MAX_PER_PHONE_PER_HOUR_ALL_CLIENTS", 15)
SMS_MAX_PER_IP_PER_HOUR = env_int("SMS_MAX_PER_IP_PER_HOUR", 20)
SMS_MAX_ATTEMPTS_PER_CODE = 5
SIGN_IN_LOCKOUT_FAILURES = 10  # wrong codes by one client within the window lock that client for the window
SIGN_IN_LOCKOUT_MINUTES = 30
# A driver stays signed in on a bound device this long; the device cookie lives as long.
DRIVER_SESSION_DAYS = env_int("DRIVER_SESSION_DAYS", 30)
DRIVER_DEVICE_COOKIE = "fp_device"
