"""Inbound adapters: aiogram Routers (one module per audience) and aiohttp routes."""

from aiogram import Router

from handlers import admin, common, errors, fallback, residents, staff


def telegram_routers() -> list[Router]:
    """In the order they are tried; the fallback router comes last."""
    return [
        errors.router(),
        common.router(),
        admin.router(),
        staff.router(),
        residents.router(),
        fallback.router(),
    ]
