"""A driver's vehicles: Chinese plate numbers, encrypted at rest and shown masked."""

import re

from django.db import IntegrityError, transaction

from core.crypto import encrypt_text, keyed_digest, rotate_token
from stations.models import FuelGrade
from wallet.exceptions import DuplicatePlate, InvalidPlate
from wallet.models import Driver, Vehicle

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_CHARACTER = "[A-HJ-NP-Z0-9]"  # letters I and O are never used on plates
PLATE_PATTERN = re.compile(
    rf"^[{PROVINCES}][A-HJ-NP-Z]"
    rf"(?:{PLATE_CHARACTER}{{4}}[A-HJ-NP-Z0-9挂学警]"  # ordinary: 沪A12345, trailer 沪A1234挂
    rf"|[DF]{PLATE_CHARACTER}\d{{4}}"  # new energy, small car: 沪AD12345
    rf"|\d{{5}}[DF])$"  # new energy, large vehicle: 沪A12345D
)


def plate_normalize(plate: str) -> str:
    normalized = re.sub(r"[\s·.\-]", "", str(plate or "")).upper()
    if not PLATE_PATTERN.match(normalized):
        raise InvalidPlate()
    return normalized


def plate_mask(plate: str) -> str:
    return f"{plate[:2]}·***{plate[-2:]}"


@transaction.atomic
def vehicle_add(*, driver: Driver, plate: str, preferred_grade: FuelGrade | None = None) -> Vehicle:
    plate = plate_normalize(plate)
    digest = keyed_digest(plate)
    try:
        with transaction.atomic():
            return Vehicle.objects.create(
                driver=driver,
                plate_encrypted=encrypt_text(plate),
                plate_digest=digest,
                plate_masked=plate_mask(plate),
                preferred_grade=preferred_grade,
            )
    except IntegrityError as error:
        raise DuplicatePlate() from error


def vehicle_remove(*, driver: Driver, vehicle_id: int) -> None:
    Vehicle.objects.filter(driver=driver, pk=vehicle_id).delete()


@transaction.atomic
def vehicle_plates_rotate_encryption() -> int:
    """Re-encrypt every stored plate with the newest key (after prepending one)."""
    rotated = 0
    for vehicle in Vehicle.objects.select_for_update():
        vehicle.plate_encrypted = rotate_token(vehicle.plate_encrypted)
        vehicle.save(update_fields=["plate_encrypted"])
        rotated += 1
    return rotated
