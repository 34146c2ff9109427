import pytest

from stations.enums import StaffRoleKind
from tests.factories.stations import EnterpriseFactory, StaffRoleFactory, StationFactory, UserFactory


@pytest.fixture
def network():
    """Two enterprises; A has stations a1 and a2, B has b1; one staff user of every role."""
    enterprise_a, enterprise_b = EnterpriseFactory(), EnterpriseFactory()
    a1, a2 = StationFactory(enterprise=enterprise_a), StationFactory(enterprise=enterprise_a)
    b1 = StationFactory(enterprise=enterprise_b)
    users = {
        "platform": StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user,
        "enterprise_a": StaffRoleFactory(role=StaffRoleKind.ENTERPRISE_ADMIN, enterprise=enterprise_a).user,
        "manager_a1": StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=a1).user,
        "cashier_a1": StaffRoleFactory(role=StaffRoleKind.CASHIER, station=a1).user,
        "finance_a": StaffRoleFactory(role=StaffRoleKind.FINANCE, enterprise=enterprise_a).user,
        "nobody": UserFactory(),
    }
    return {"a1": a1, "a2": a2, "b1": b1, "users": users, "enterprise_a": enterprise_a}
