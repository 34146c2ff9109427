import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.crypto import decrypt_text
from drivers.exceptions import DuplicatePlate, InvalidPlate
from drivers.models import Vehicle
from drivers.services import plate_normalize, vehicle_add


@pytest.mark.parametrize("plate", ["沪A12345", "京B1234挂", "粤BD12345", "浙A12345F", "川a 12345", "沪A·12345"])
def test_valid_plates_are_accepted(plate):
    assert plate_normalize(plate).startswith(plate[0])


@pytest.mark.parametrize("plate", ["", "A12345", "沪12345", "沪AI2345", "沪A1234", "沪A1234567", "XXA12345"])
def test_invalid_plates_are_rejected(plate):
    with pytest.raises(InvalidPlate):
        plate_normalize(plate)


@given(st.text(max_size=12))
def test_plate_validation_never_crashes(text):
    with contextlib.suppress(InvalidPlate):
        plate_normalize(text)


@pytest.mark.django_db
def test_a_plate_is_stored_encrypted_and_shown_masked(driver):
    vehicle = vehicle_add(driver=driver, plate="沪A12345")
    assert "12345" not in vehicle.plate_encrypted
    assert decrypt_text(vehicle.plate_encrypted) == "沪A12345"
    assert vehicle.plate_masked == "沪A·***45"


@pytest.mark.django_db
def test_a_duplicate_plate_is_refused_and_nothing_is_added(driver):
    vehicle_add(driver=driver, plate="沪A12345")
    with pytest.raises(DuplicatePlate):
        vehicle_add(driver=driver, plate="沪a 12345")
    assert Vehicle.objects.count() == 1
