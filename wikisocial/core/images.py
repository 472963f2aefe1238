"""Checking and re-encoding uploaded images (avatars and headers; post media later).

Every upload is decoded and saved again: what we store never carries the uploader's metadata
(EXIF with GPS positions, XMP, comments) and is never larger than we asked for. Pixels with an
embedded colour profile are converted to sRGB and the profile is dropped: a profile is an
arbitrary blob (megabytes, with free text) that we would otherwise serve to everyone.
"""

from __future__ import annotations

import io
import math
import secrets
import warnings
from dataclasses import dataclass
from typing import Protocol

import blurhash
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, ImageCms, ImageOps, JpegImagePlugin

__all__ = [
    "ImageError",
    "ProcessedAttachment",
    "ProcessedImage",
    "check_attachment",
    "probe_image_dimensions",
    "process_attachment",
    "process_image",
]

# Pillow format ids we accept; MPO is what many cameras call their JPEGs.
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
_FORMAT_ALIASES = {"MPO": "JPEG"}
_KINDS = ("avatar", "header")
_MB = 1024 * 1024


class ImageError(ValidationError):
    """An upload we refuse; the message is meant for the person who uploaded it."""


class ProcessedImage(ContentFile):
    """The re-encoded image, with the metadata callers need to store it."""

    def __init__(self, content: bytes, name: str, content_type: str, size: tuple[int, int]):
        super().__init__(content, name=name)
        self.content_type = content_type
        self.width, self.height = size


class _Upload(Protocol):
    """An UploadedFile, or anything with ``read`` and ``seek`` (and ideally ``size``)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


def _megabytes(size: int) -> str:
    value = math.ceil(size * 10 / _MB) / 10
    return f"{value:g} MB"


def _too_large_file(size: int, limit: int) -> ImageError:
    return ImageError(
        gettext("The file is too large (%(size)s); the limit is %(limit)s."),
        code="file_too_large",
        params={"size": _megabytes(size), "limit": _megabytes(limit)},
    )


def _not_an_image() -> ImageError:
    return ImageError(
        gettext("This file is not a JPEG, PNG, GIF or WebP image."), code="invalid_format"
    )


def _damaged() -> ImageError:
    return ImageError(gettext("This image file is damaged and could not be read."), code="damaged")


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ImageError:
    limits = settings.IMAGE_LIMITS
    params = {"max_side": limits["max_side"], "max_pixels": limits["max_pixels"]}
    if width is None or height is None:
        message = gettext(
            "The image is too large; the limit is %(max_side)s pixels on each side and "
            "%(max_pixels)s pixels in total."
        )
    else:
        params.update(width=width, height=height)
        message = gettext(
            "The image is too large (%(width)s×%(height)s pixels); the limit is "
            "%(max_side)s pixels on each side and %(max_pixels)s pixels in total."
        )
    return ImageError(message, code="too_many_pixels", params=params)


def _read_upload(upload: _Upload) -> bytes:
    """Read the upload, checking its size before and after."""
    limit = settings.IMAGE_LIMITS["max_bytes"]
    size = getattr(upload, "size", None)
    if size == 0:
        raise ImageError(gettext("The file is empty."), code="empty")
    if size is not None and size > limit:
        raise _too_large_file(size, limit)
    upload.seek(0)
    data = upload.read(limit + 1)  # never trust .size alone
    if not data:
        raise ImageError(gettext("The file is empty."), code="empty")
    if len(data) > limit:
        raise _too_large_file(len(data), limit)
    return data


def _identify(data: bytes) -> tuple[str, tuple[int, int]]:
    """Format and declared size, read from the header only (no pixels are decoded)."""
    Image.init()
    prefix = data[:16]
    for format_id in IMAGE_FORMATS:
        factory, accept = Image.OPEN.get(format_id, (None, None))
        if factory is None or (accept is not None and accept(prefix) is not True):
            continue
        try:
            image = factory(io.BytesIO(data), "")
        except Exception as exc:  # any parser failure on a file with a known signature
            raise _damaged() from exc
        fmt = _FORMAT_ALIASES.get(str(image.format), str(image.format))
        if fmt not in IMAGE_FORMATS:
            raise _not_an_image()
        return fmt, image.size
    raise _not_an_image()


def probe_image_dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) from the header of a JPEG, PNG, GIF or WebP; ImageError otherwise."""
    return _identify(data)[1]


def _check_dimensions(width: int, height: int) -> None:
    limits = settings.IMAGE_LIMITS
    too_wide = max(width, height) > limits["max_side"]
    if too_wide or width * height > limits["max_pixels"]:
        raise _too_many_pixels(width, height)


def _target_size(source: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """Size to fill ``target``'s aspect ratio without ever upscaling."""
    (width, height), (t_width, t_height) = source, target
    if width >= t_width and height >= t_height:
        return target
    if width * t_height > height * t_width:  # wider than the target ratio
        return max(1, round(height * t_width / t_height)), height
    return width, max(1, round(width * t_height / t_width))


def _decode(data: bytes, target: tuple[int, int]) -> Image.Image:
    """Decode the first frame, upright, refusing decompression bombs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
                image.seek(0)
                if isinstance(image, JpegImagePlugin.JpegImageFile):
                    # Let libjpeg decode at a reduced scale when the source is much bigger.
                    image.draft(None, _draft_size(image, target))
                image.load()
                return ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except Image.UnidentifiedImageError as exc:
        raise _not_an_image() from exc
    except Exception as exc:  # truncated data, bad EXIF…: Pillow raises many kinds
        raise _damaged() from exc


def _draft_size(image: Image.Image, target: tuple[int, int]) -> tuple[int, int]:
    """The smallest size, in the file's orientation, that still covers ``target``."""
    orientation = image.getexif().get(0x0112, 1)
    if orientation in (5, 6, 7, 8):  # rotated by 90°: the target is sideways in the file
        target = (target[1], target[0])
    scale = max(target[0] / image.width, target[1] / image.height)
    return math.ceil(image.width * scale), math.ceil(image.height * scale)


def _has_transparency(image: Image.Image) -> bool:
    if image.mode == "P":
        return "transparency" in image.info
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return image.getchannel("A").getextrema()[0] < 255
    return False


def _normalise_mode(image: Image.Image) -> Image.Image:
    """RGBA if anything is see-through, else RGB (8 bits per channel)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit greyscale PNG: scale down to 8 bits instead of clipping to white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if _has_transparency(image):
        image = image.convert("RGBA")
        if image.getchannel("A").getextrema()[0] < 255:
            return image
    return image.convert("RGB")


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# Modes LittleCMS converts from, and the mode each becomes (alpha is kept).
_CMS_MODES = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "RGB", "LAB": "RGB"}


def _to_srgb(image: Image.Image) -> Image.Image:
    """The pixels in sRGB, without the embedded colour profile. When the profile cannot be
    used (damaged, odd, or for a mode LittleCMS does not take), the pixels stay as they are
    and the profile is dropped all the same."""
    icc_profile = image.info.pop("icc_profile", None)
    if not icc_profile:
        return image
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    output_mode = _CMS_MODES.get(image.mode)
    if output_mode is None:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    if converted is None:  # only with inPlace=True; keeps type checkers content
        return image
    converted.info = {k: v for k, v in image.info.items() if k != "icc_profile"}
    return converted


def _crop(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    size = _target_size(image.size, target)
    return ImageOps.fit(image, size, method=Image.Resampling.LANCZOS)


def _encode(image: Image.Image) -> tuple[bytes, str, str]:
    """Save with no metadata at all (the pixels are sRGB, the web's default)."""
    image.info = {}  # drops comments, XMP, EXIF, ICC and the like that Pillow would copy over
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "png", "image/png"
    image.save(out, "JPEG", quality=85, progressive=True, optimize=True)
    return out.getvalue(), "jpg", "image/jpeg"


def process_image(upload: _Upload, kind: str) -> ProcessedImage:
    """Check an uploaded avatar or header image and return it re-encoded and cropped."""
    if kind not in _KINDS:
        raise ValueError(f"unknown image kind {kind!r}")
    t_width, t_height = settings.IMAGE_LIMITS[kind]
    target = (int(t_width), int(t_height))
    data = _read_upload(upload)
    _fmt, (width, height) = _identify(data)
    _check_dimensions(width, height)
    image = _to_srgb(_decode(data, target))
    image = _crop(_normalise_mode(image), target)
    content, extension, content_type = _encode(image)
    return ProcessedImage(
        content,
        name=f"{secrets.token_hex(16)}.{extension}",
        content_type=content_type,
        size=image.size,
    )


@dataclass
class ProcessedAttachment:
    """An image attached to a post: the full picture, a thumbnail and a blurhash."""

    image: ProcessedImage
    thumbnail: ProcessedImage
    blurhash: str


def _contained(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """Scaled down to fit inside ``box`` (never up), keeping the aspect ratio."""
    if image.width <= box[0] and image.height <= box[1]:
        return image
    return ImageOps.contain(image, box, method=Image.Resampling.LANCZOS)


def _saved(image: Image.Image) -> ProcessedImage:
    content, extension, content_type = _encode(image)
    return ProcessedImage(
        content,
        name=f"{secrets.token_hex(16)}.{extension}",
        content_type=content_type,
        size=image.size,
    )


def check_attachment(upload: _Upload) -> bytes:
    """The bytes of an image for a post, once what its header tells passes (size, format,
    declared dimensions; no pixel is decoded): what an upload can be refused for at once,
    before the slower re-encoding runs in the background."""
    data = _read_upload(upload)
    _fmt, (width, height) = _identify(data)
    _check_dimensions(width, height)
    return data


def process_attachment(upload: _Upload) -> ProcessedAttachment:
    """Check an image attached to a post and return it re-encoded (no metadata, at most
    IMAGE_LIMITS["attachment"]), with a thumbnail and a blurhash."""
    box = settings.IMAGE_LIMITS["attachment"]
    data = _read_upload(upload)
    _fmt, (width, height) = _identify(data)
    _check_dimensions(width, height)
    image = _contained(_normalise_mode(_to_srgb(_decode(data, box))), box)
    thumb = _contained(image, settings.IMAGE_LIMITS["attachment_thumbnail"])
    small = _contained(image, (64, 64)).convert("RGB")
    return ProcessedAttachment(
        image=_saved(image),
        thumbnail=_saved(thumb.copy()),
        blurhash=blurhash.encode(small, x_components=4, y_components=3),
    )
