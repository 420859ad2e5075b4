"""`python -m bot import-grids FILE`, `import-routing FILE` and `export-routing`: the routing data
in the database (every running bot follows within ROUTING_POLL_SECONDS), or a routing file with
--output (bot/__main__.py dispatches here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from services.grid_import import Fields
    from services.routing_store import RoutingStore


def import_grids(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from services.grid_import import GridImportError, merge_grids, read_features, to_wgs84
    from services.routing import load_routing
    from services.routing_export import dump_routing, routing_document
    from services.routing_file import RoutingError, routing_from_data

    if not args.kid:
        raise SettingsError("say which file to import: python -m bot import-grids FILE")
    if not args.output:
        return asyncio.run(_import_grids_into_database(args))
    routing_file = args.routing or os.environ.get("ROUTING_FILE")
    output = args.output
    try:
        current = load_routing(Path(routing_file) if routing_file else None, None)
        features, file_crs = read_features(Path(args.kid), args.layer)
        transform = to_wgs84(args.crs or file_crs or "EPSG:4326")
        merged, report = merge_grids(
            routing_document(current), features, _grid_fields(args), transform
        )
        routing_from_data(merged, Path(output).name, None)  # the whole checked once more
    except (GridImportError, RoutingError) as error:
        raise SettingsError(str(error)) from None
    Path(output).write_text(dump_routing(merged), encoding="utf-8")
    for line in report.lines():
        print(line)
    print(f"wrote {output}")
    return 0


def _grid_fields(args: argparse.Namespace) -> Fields:
    from services.grid_import import Fields

    return Fields(
        args.code_field,
        args.name_zh_field,
        args.name_en_field,
        args.community_field,
        args.community,
    )


async def _import_grids_into_database(args: argparse.Namespace) -> int:
    from pathlib import Path

    from services.grid_import import GridImportError, merge_grids, read_features, to_wgs84
    from services.routing_file import RoutingError

    settings = load_settings()
    async with _routing_store(settings) as store:
        try:
            features, file_crs = read_features(Path(args.kid), args.layer)
            transform = to_wgs84(args.crs or file_crs or "EPSG:4326")
            _, document = await store.document()
            merged, report = merge_grids(document, features, _grid_fields(args), transform)
            note = f"import-grids {Path(args.kid).name}: {report.lines()[0]}"
            version = await store.save(merged, note)
        except (GridImportError, RoutingError) as error:
            raise SettingsError(str(error)) from None
    for line in report.lines():
        print(line)
    print(
        f"routing data at version {version}: running bots follow within "
        f"{settings.routing_poll_seconds:g} s"
    )
    return 0


async def import_routing(file: str | None) -> int:
    from pathlib import Path

    from services.routing import load_routing
    from services.routing_export import routing_document
    from services.routing_file import RoutingError

    if not file:
        raise SettingsError("say which routing file: python -m bot import-routing FILE")
    settings = load_settings()
    try:
        routing = load_routing(Path(file), settings.staff_chat_id)
    except RoutingError as error:
        raise SettingsError(str(error)) from None
    async with _routing_store(settings) as store:
        _, document = await store.document()
        document["communities"] = routing_document(routing)["communities"]
        version = await store.save(document, f"import-routing {Path(file).name}")
    print(
        f"{len(routing.communities)} communities and {len(routing.grids)} grids from {file}; "
        f"routing data at version {version}"
    )
    return 0


def export_routing(output: str | None) -> int:
    from pathlib import Path

    from services.routing_export import dump_routing

    version, document = asyncio.run(_stored_document())
    text = f"# exported from the routing data at version {version}\n" + dump_routing(document)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}")
    else:
        sys.stdout.write(text)
    return 0


async def _stored_document() -> tuple[int, dict[str, Any]]:
    async with _routing_store(load_settings()) as store:
        return await store.document()


@contextlib.asynccontextmanager
async def _routing_store(settings: Settings) -> AsyncIterator[RoutingStore]:
    """The routing data in the bot's database, migrated and seeded from ROUTING_FILE first."""
    from services.migrate import upgrade_to_head
    from services.privacy import FieldCipher
    from services.routing import load_routing
    from services.routing_file import RoutingError
    from services.routing_store import RoutingStore
    from services.storage import Database

    try:
        base = load_routing(settings.routing_file, settings.staff_chat_id)
    except RoutingError as error:
        raise SettingsError(f"ROUTING_FILE is invalid: {error}") from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    data_key = settings.data_key.get_secret_value() if settings.data_key else None
    try:
        await upgrade_to_head(db, lambda: FieldCipher.from_setting(data_key, settings.data_dir))
        store = RoutingStore(db, base)
        await store.seed()
        yield store
    finally:
        await db.close()
