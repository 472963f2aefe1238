import io
import random
import re
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, features

from wikisocial.core.images import (
    ImageError,
    probe_image_dimensions,
    process_attachment,
    process_image,
)

MB = 1024 * 1024


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def upload(data: bytes, name: str = "upload.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def reopen(result: ContentFile) -> Image.Image:
    image = Image.open(io.BytesIO(result.read()))
    result.seek(0)
    return image


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def error_of(data: bytes | SimpleUploadedFile, kind: str = "avatar") -> ImageError:
    with pytest.raises(ImageError) as info:
        process_image(upload(data) if isinstance(data, bytes) else data, kind)
    return info.value


def png_declaring(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose IHDR claims another size (with a valid CRC)."""
    data = bytearray(encode(Image.new("RGB", (1, 1), "white"), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def close_to(pixel: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], expected, strict=True))


RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


# --- what comes out -----------------------------------------------------------------------


def test_avatar_is_cropped_to_a_square_jpeg() -> None:
    result = process_image(upload(encode(Image.new("RGB", (1000, 600), "red"), "JPEG")), "avatar")
    assert isinstance(result, ContentFile)
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", result.name)
    assert result.content_type == "image/jpeg"
    image = reopen(result)
    assert image.format == "JPEG"
    assert image.size == (400, 400) == (result.width, result.height)
    assert image.info.get("progressive") or image.info.get("progression")


def test_avatar_crop_keeps_the_centre() -> None:
    source = Image.new("RGB", (1000, 600), "blue")
    source.paste(Image.new("RGB", (600, 600), "red"), (200, 0))
    image = reopen(process_image(upload(encode(source, "PNG")), "avatar"))
    assert image.size == (400, 400)
    assert close_to(image.getpixel((5, 5)), RED)
    assert close_to(image.getpixel((394, 394)), RED)


def test_header_is_cropped_to_1500_by_500() -> None:
    result = process_image(upload(encode(noise((3000, 2000)), "JPEG")), "header")
    assert reopen(result).size == (1500, 500)


@pytest.mark.parametrize(
    ("kind", "source", "expected"),
    [
        ("avatar", (200, 100), (100, 100)),
        ("avatar", (300, 500), (300, 300)),
        ("avatar", (400, 100), (100, 100)),
        ("header", (300, 300), (300, 100)),
        ("header", (1000, 300), (900, 300)),
        ("header", (2000, 400), (1200, 400)),
        ("avatar", (1, 1), (1, 1)),
    ],
)
def test_small_images_are_cropped_but_not_upscaled(
    kind: str, source: tuple[int, int], expected: tuple[int, int]
) -> None:
    result = process_image(upload(encode(Image.new("RGB", source, "green"), "PNG")), kind)
    assert reopen(result).size == expected


def test_exif_orientation_is_applied_and_metadata_removed() -> None:
    # Stored sideways: red on top, blue below. Orientation 6 means "rotate 90° clockwise to
    # display", which puts red on the right and blue on the left.
    source = Image.new("RGB", (600, 400), "blue")
    source.paste(Image.new("RGB", (600, 200), "red"), (0, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    data = encode(
        source,
        "JPEG",
        exif=exif,
        comment=b"secret comment",
        xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>",
    )
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file really has GPS
    assert original.getexif()[ExifTags.Base.Orientation] == 6

    result = process_image(upload(data), "avatar")
    raw = result.read()
    image = Image.open(io.BytesIO(raw))
    assert image.size == (400, 400)
    for x, y, colour in [(50, 50, BLUE), (350, 50, RED), (50, 350, BLUE), (350, 350, RED)]:
        assert close_to(image.getpixel((x, y)), colour), (x, y)
    assert not image.getexif()
    assert "exif" not in image.info and "comment" not in image.info and "xmp" not in image.info
    for marker in (b"Exif", b"SecretCam", b"secret", b"xmpmeta"):
        assert marker not in raw


def test_png_with_alpha_stays_png() -> None:
    source = Image.new("RGBA", (500, 500), (255, 0, 0, 255))
    source.paste(Image.new("RGBA", (500, 250), (0, 0, 255, 0)), (0, 0))
    result = process_image(upload(encode(source, "PNG"), "a.png"), "avatar")
    assert result.name.endswith(".png")
    assert result.content_type == "image/png"
    image = reopen(result)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert image.getpixel((200, 10))[3] == 0
    assert image.getpixel((200, 390)) == (255, 0, 0, 255)


def test_opaque_rgba_becomes_jpeg() -> None:
    data = encode(Image.new("RGBA", (50, 50), (10, 20, 30, 255)), "PNG")
    assert process_image(upload(data), "avatar").content_type == "image/jpeg"


def test_palette_png_with_transparency_stays_png() -> None:
    source = Image.new("P", (40, 40), 0)
    source.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    source.paste(1, (0, 0, 20, 40))
    data = encode(source, "PNG", transparency=0)
    image = reopen(process_image(upload(data), "avatar"))
    assert image.mode == "RGBA"
    assert image.getpixel((30, 20))[3] == 0
    assert image.getpixel((5, 20)) == (0, 0, 0, 255)


def test_animated_gif_keeps_the_first_frame() -> None:
    frames = [Image.new("RGB", (100, 100), colour) for colour in ("red", "lime", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    result = process_image(upload(data, "a.gif"), "avatar")
    image = reopen(result)
    assert image.format == "JPEG"
    assert getattr(image, "n_frames", 1) == 1
    assert close_to(image.getpixel((50, 50)), RED)


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_webp_is_accepted() -> None:
    data = encode(Image.new("RGB", (600, 600), "blue"), "WEBP")
    image = reopen(process_image(upload(data, "a.webp"), "avatar"))
    assert image.size == (400, 400)
    assert close_to(image.getpixel((200, 200)), BLUE)


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    data = encode(Image.new("I;16", (20, 20), 32768), "PNG")
    image = reopen(process_image(upload(data), "avatar"))
    assert close_to(image.getpixel((10, 10)), (128, 128, 128), tolerance=3)


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (50, 50), (0, 255, 255, 0)), "JPEG")
    image = reopen(process_image(upload(data), "avatar"))
    assert image.mode == "RGB"
    assert close_to(image.getpixel((25, 25)), RED)


# --- colour profiles: converted to sRGB, never kept -----------------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def rgb_profile(red: tuple, green: tuple, blue: tuple, name: str = "test") -> bytes:
    """A minimal ICC v2 matrix/TRC display profile with the given primaries (D50 XYZ)."""
    text = name.encode() + b"\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 78
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(*red)),
        (b"gXYZ", _xyz(*green)),
        (b"bXYZ", _xyz(*blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0none\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", offset + len(body))
        + b"\0" * 4
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + body


# sRGB's primaries adapted to D50; SWAPPED is a profile whose "red" is sRGB's green.
SRGB_RED = (0.4361, 0.2225, 0.0139)
SRGB_GREEN = (0.3851, 0.7169, 0.0971)
SRGB_BLUE = (0.1431, 0.0606, 0.7141)
SWAPPED = rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE, "red and green swapped")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_pixels_are_converted_to_srgb_and_the_profile_dropped(fmt: str) -> None:
    data = encode(Image.new("RGB", (50, 50), RED), fmt, icc_profile=SWAPPED)
    image = reopen(process_image(upload(data), "avatar"))
    assert "icc_profile" not in image.info
    assert close_to(image.getpixel((25, 25)), GREEN)  # what the file's red really means


def test_transparent_image_with_a_profile_keeps_its_alpha() -> None:
    source = Image.new("RGBA", (50, 50), (*RED, 0))
    source.paste(Image.new("RGBA", (30, 30), (*RED, 255)), (10, 10))
    result = process_image(upload(encode(source, "PNG", icc_profile=SWAPPED)), "avatar")
    image = reopen(result)
    assert result.content_type == "image/png" and "icc_profile" not in image.info
    assert image.getpixel((1, 1))[3] == 0
    assert close_to(image.getpixel((25, 25)), GREEN)


def test_srgb_profile_is_dropped_and_colours_stay() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.new("RGB", (50, 50), "red"), "JPEG", icc_profile=icc)
    image = reopen(process_image(upload(data), "avatar"))
    assert "icc_profile" not in image.info
    assert close_to(image.getpixel((25, 25)), RED)


@pytest.mark.parametrize(
    "profile",
    [
        b"not a colour profile, just words " * 140_000,  # 4.6 MB of text
        ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes(),  # not for RGB
        SWAPPED[:200],  # cut short
    ],
    ids=["huge-text", "lab-profile-on-rgb", "truncated"],
)
def test_odd_profiles_are_dropped_and_the_pixels_kept(profile: bytes) -> None:
    data = encode(Image.new("RGB", (50, 50), "red"), "JPEG", icc_profile=profile)
    with Image.open(io.BytesIO(data)) as check:
        assert check.info["icc_profile"] == profile  # the upload really carries it
    result = process_image(upload(data), "avatar")
    image = reopen(result)
    assert "icc_profile" not in image.info
    assert close_to(image.getpixel((25, 25)), RED)
    assert len(result) < 20_000


def test_attachments_are_converted_too() -> None:
    data = encode(Image.new("RGB", (300, 200), RED), "JPEG", icc_profile=SWAPPED)
    result = process_attachment(upload(data))
    for part in (result.image, result.thumbnail):
        image = reopen(part)
        assert "icc_profile" not in image.info
        assert close_to(image.getpixel((10, 10)), GREEN)


def test_file_position_does_not_matter() -> None:
    file = upload(encode(Image.new("RGB", (50, 50), "red"), "PNG"))
    file.read()
    assert process_image(file, "avatar").content_type == "image/jpeg"


def test_plain_file_objects_work() -> None:
    file = io.BytesIO(encode(Image.new("RGB", (50, 50), "red"), "PNG"))
    assert process_image(file, "header").size > 0  # type: ignore[arg-type]


def test_names_are_random() -> None:
    data = encode(Image.new("RGB", (10, 10), "red"), "PNG")
    assert process_image(upload(data), "avatar").name != process_image(upload(data), "avatar").name


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="kind"):
        process_image(upload(encode(Image.new("RGB", (10, 10)), "PNG")), "banner")


def test_probe_image_dimensions_reads_the_header_only() -> None:
    assert probe_image_dimensions(encode(Image.new("RGB", (123, 45)), "JPEG")) == (123, 45)
    assert probe_image_dimensions(png_declaring(50_000, 50_000)) == (50_000, 50_000)


# --- what is refused ----------------------------------------------------------------------


class BigUpload:
    """Claims to be huge; reading it would be a bug."""

    size = int(12.3 * MB)

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("read() called on an oversized upload")

    def seek(self, offset: int, whence: int = 0) -> int:
        raise AssertionError("seek() called on an oversized upload")


def test_oversized_file_is_refused_before_reading() -> None:
    with pytest.raises(ImageError) as info:
        process_image(BigUpload(), "avatar")  # type: ignore[arg-type]
    assert info.value.code == "file_too_large"
    assert info.value.messages == ["The file is too large (12.3 MB); the limit is 8 MB."]


def test_oversized_file_without_size_is_refused_after_reading(settings) -> None:
    settings.IMAGE_LIMITS = {**settings.IMAGE_LIMITS, "max_bytes": 1000}
    file = io.BytesIO(encode(noise((100, 100)), "PNG"))
    with pytest.raises(ImageError) as info:
        process_image(file, "avatar")  # type: ignore[arg-type]
    assert info.value.code == "file_too_large"
    assert "the limit is 0.1 MB" in info.value.messages[0]


def test_empty_file_is_refused() -> None:
    error = error_of(b"")
    assert error.code == "empty"
    assert error.messages == ["The file is empty."]


@pytest.mark.parametrize(
    "data",
    [
        b"Hello, I am a text file pretending to be a JPEG.\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"%PDF-1.7\n",
        bytes(range(256)),
    ],
)
def test_non_images_are_refused(data: bytes) -> None:
    error = error_of(upload(data, "photo.jpg"))
    assert error.code == "invalid_format"
    assert error.messages == ["This file is not a JPEG, PNG, GIF or WebP image."]


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM"])
def test_other_image_formats_are_refused(fmt: str) -> None:
    data = encode(Image.new("RGB", (32, 32), "red"), fmt)
    assert Image.open(io.BytesIO(data)).format  # Pillow itself could read it
    assert error_of(data).code == "invalid_format"


@pytest.mark.parametrize(
    ("width", "height"), [(50_000, 50_000), (20_000, 10), (10, 16_385), (8_000, 5_000)]
)
def test_declared_dimensions_over_the_limit_are_refused(width: int, height: int) -> None:
    error = error_of(png_declaring(width, height))
    assert error.code == "too_many_pixels"
    assert error.messages == [
        f"The image is too large ({width}×{height} pixels); the limit is 16384 pixels on each "
        "side and 33177600 pixels in total."
    ]


def test_limit_exactly_is_accepted_up_to_decoding() -> None:
    # 16384 × 2025 = 33177600 pixels: allowed by the header check, then fails to decode.
    assert error_of(png_declaring(16_384, 2_025)).code == "damaged"


@pytest.mark.parametrize("pixels", [150, 250])
def test_pillow_decompression_bomb_checks_become_errors(
    monkeypatch: pytest.MonkeyPatch, pixels: int
) -> None:
    # Over MAX_IMAGE_PIXELS Pillow warns; over twice that it raises. Both must be refused.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = encode(Image.new("RGB", (pixels, 1), "red"), "PNG")
    error = error_of(data)
    assert error.code == "too_many_pixels"
    assert "the limit is 16384 pixels on each side" in error.messages[0]


def test_truncated_jpeg_is_refused() -> None:
    data = encode(noise((400, 400)), "JPEG", quality=90)
    error = error_of(data[: len(data) // 2])
    assert error.code == "damaged"
    assert error.messages == ["This image file is damaged and could not be read."]


def test_truncated_png_is_refused() -> None:
    data = encode(noise((200, 200)), "PNG")
    assert error_of(data[: len(data) // 2]).code == "damaged"


def test_corrupt_header_is_refused() -> None:
    data = encode(Image.new("RGB", (10, 10)), "PNG")
    assert error_of(data[:20]).code == "damaged"


def test_image_error_is_a_validation_error() -> None:
    from django.core.exceptions import ValidationError

    assert issubclass(ImageError, ValidationError)
