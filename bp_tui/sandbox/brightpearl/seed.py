"""Deterministic, realistic demo data for the Brightpearl sandbox."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bp_tui.sandbox.brightpearl import shapes

if TYPE_CHECKING:
    from bp_tui.sandbox.brightpearl.account import BrightpearlAccount

PRODUCT_NAMES = [
    "Nice Shirt for Summer",
    "Linen Trousers",
    "Wool Scarf",
    "Leather Belt",
    "Canvas Tote",
    "Café Mug ☕",
    "Espresso Cups (set of 2)",
    "Teapot 1.2 l",
    "Bamboo Cutting Board",
    "Chef's Knife 20 cm",
    "Crème Brûlée Torch",
    "Garden Gloves",
    "Trowel",
    "Seed Tray",
    "Watering Can 5 l",
    "Notebook A5",
    "Fountain Pen",
    "Ink Cartridges ×6",
    "Desk Lamp",
    "Monitor Stand",
    "USB-C Cable 2 m",
    "Phone Case",
    "Bluetooth Speaker",
    "Headphones",
    "Power Bank 10000 mAh",
    "Yoga Mat",
    "Water Bottle",
    "Resistance Bands",
    "Foam Roller",
    "Gym Towel",
    "Kids' Raincoat",
    "Wellington Boots",
    "Puzzle 1000 pcs",
    "Board Game",
    "Plush Bear 🧸",
    "Scented Candle",
    "Photo Frame",
    "Throw Blanket",
    "Cushion Cover",
    "Doormat",
]
NON_STOCK = {"Gift Wrapping", "Extended Warranty", "Engraving Service"}

CUSTOMERS = [
    "Zoë Ångström",
    "José Núñez",
    "Søren Kierkegård",
    "山田 太郎",
    "François Dupont",
    "Ünal Çelik",
    "Mary O'Brien",
    "Ólafur Arnalds",
    "Priya Patel",
    "Emoji Fan 🎉",
    "Łukasz Wójcik",
    "Anne-Marie Smith",
]
ADDRESSES: list[dict[str, Any]] = [
    dict(
        line1="34 Lime St",
        line2="Barton",
        line3="Sheffield",
        line4="South Yorkshire",
        postal_code="S1 4RT",
        country="United Kingdom",
        iso2="GB",
        iso3="GBR",
        country_id=222,
        telephone="01245 845632",
    ),
    dict(
        line1="1600 Amphitheatre Pkwy",
        line2="",
        line3="Mountain View",
        line4="CA",
        postal_code="94043",
        country="United States",
        iso2="US",
        iso3="USA",
        country_id=223,
        telephone="+1 650 555 0100",
    ),
    dict(
        line1="Königstraße 12",
        line2="Hinterhaus",
        line3="Stuttgart",
        line4="Baden-Württemberg",
        postal_code="70173",
        country="Germany",
        iso2="DE",
        iso3="DEU",
        country_id=81,
        telephone="+49 711 5550",
    ),
    dict(
        line1="千代田1-1",
        line2="千代田区",
        line3="東京都",
        line4="",
        postal_code="100-8111",
        country="Japan",
        iso2="JP",
        iso3="JPN",
        country_id=107,
        telephone="+81 3 5555 0000",
    ),
    dict(
        line1="12 Rue de Rivoli",
        line2="",
        line3="Paris",
        line4="Île-de-France",
        postal_code="75004",
        country="France",
        iso2="FR",
        iso3="FRA",
        country_id=73,
        telephone="+33 1 55 55 55 55",
    ),
    dict(
        line1="5 Ha'penny Bridge",
        line2="Temple Bar",
        line3="Dublin",
        line4="Co. Dublin",
        postal_code="D02 X285",
        country="Ireland",
        iso2="IE",
        iso3="IRL",
        country_id=103,
        telephone="+353 1 555 0101",
    ),
]
STATE_CYCLE = ["printed", "new", "picked", "printed", "packed", "shipped", "printed", "picked"]


def base_reference_data(sb: BrightpearlAccount) -> None:
    """Channels, warehouses, shipping methods, order statuses and products (fixed)."""
    sb.warehouses.update(
        {
            2: {
                "id": 2,
                "name": "Main warehouse",
                "typeCode": "warehouse",
                "typeDescription": "Warehouse",
                "address": {"addressId": 2},
                "clickAndCollectEnabled": False,
            },
            3: {
                "id": 3,
                "name": "Leeds DC",
                "typeCode": "warehouse",
                "typeDescription": "Warehouse",
                "address": {"addressId": 3},
                "clickAndCollectEnabled": False,
            },
            4: {
                "id": 4,
                "name": "Zürich Lager",
                "typeCode": "warehouse",
                "typeDescription": "Warehouse",
                "address": {"addressId": 4},
                "clickAndCollectEnabled": True,
            },
        }
    )
    for cid, name, ctype, wid, provider in (
        (1, "Web Store", 1, 2, "shopify"),
        (2, "Amazon UK", 5, 3, "amazon"),
        (3, "eBay Channel", 5, 2, "ebay"),
    ):
        sb.channels[cid] = {
            "id": cid,
            "name": name,
            "channelTypeId": ctype,
            "defaultWarehouseId": wid,
            "contactGroupId": 1,
            "defaultPriceListId": 1,
            "channelBrandId": 2,
            "warehouseIds": [wid],
            "integrationDetail": {
                "installedIntegrationId": cid,
                "configSetId": cid + 1,
                "providerCode": provider,
                "integrationTypeCode": "MKP",
                "active": True,
            },
        }
    for mid, name, code, carrier in (
        (1, "Standard Shipping", "STD", "Royal Mail"),
        (2, "Next Day", "NXD", "DPD"),
        (3, "International Tracked", "INT", "DHL"),
    ):
        sb.shipping_methods[mid] = {
            "id": mid,
            "name": name,
            "code": code,
            "carrier": carrier,
            "methodType": 1,
            "additionalInformationRequired": False,
        }
    statuses = [
        (1, "Draft / Quote", "SO", False, "draft"),
        (2, "New web order", "SO", True, "open"),
        (3, "New phone order", "SO", True, "open"),
        (4, "Invoiced", "SO", True, "invoiced"),
        (5, "Shipped", "SO", True, "closed"),
        (6, "Cancelled", "SO", True, "cancelled"),
        (7, "Pending PO", "PO", True, "open"),
    ]
    for sid, name, otype, visible, state in statuses:
        sb.statuses[sid] = {
            "statusId": sid,
            "name": name,
            "orderTypeCode": otype,
            "sortOrder": sid,
            "disabled": False,
            "visible": visible,
            "color": "#E7E6E4",
            "remindAfterDays": 10,
            "alertEmails": [],
            "emailContent": "",
            "batchProcess": False,
            "state": state,
        }
    rng = random.Random(4242)
    names = PRODUCT_NAMES + sorted(NON_STOCK)
    for index, name in enumerate(names):
        pid = 1001 + index
        tracked = name not in NON_STOCK
        weight = rng.choice([120, 250, 400, 750, 1200, 2300]) if tracked else 0
        sb.products[pid] = {
            "id": pid,
            "brandId": 1,
            "productTypeId": 1,
            "identity": {
                "sku": f"SKU-{pid}",
                "isbn": "",
                "ean": f"50{pid:011d}",
                "upc": "",
                "mpn": "",
                "barcode": f"50{pid:011d}",
            },
            "productGroupId": 0,
            "featured": False,
            "stock": {
                "stockTracked": tracked,
                "weight": {"magnitude": weight},
                "dimensions": {"length": 0, "height": 0, "width": 0, "volume": 0},
            },
            "financialDetails": {"taxable": True, "taxCode": {"id": 1, "code": "T"}},
            "salesChannels": [
                {
                    "salesChannelName": "Brightpearl",
                    "productName": name,
                    "productCondition": "new",
                    "categories": [],
                    "description": {"languageCode": "en", "text": "", "format": "HTML_FRAGMENT"},
                }
            ],
            "composition": {"bundle": False},
            "variations": [],
            "createdOn": "2024-01-10T09:00:00.000-06:00",
            "updatedOn": "2024-01-10T09:00:00.000-06:00",
            "version": 1,
            "_price": f"{rng.choice([4.99, 9.5, 12.0, 19.99, 24.0, 49.95]):.2f}",
        }


def _customer(rng: random.Random, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    name = CUSTOMERS[index % len(CUSTOMERS)]
    address = ADDRESSES[index % len(ADDRESSES)]
    email = f"customer{index}@example.com"
    company = "Ångström Trading AB" if index % 5 == 0 else ""
    customer = shapes.party(name=name, company=company, email=email, **address)
    return customer, dict(customer)


def seed_account(sb: BrightpearlAccount, *, orders: int, seed: int, now: datetime) -> None:
    """``orders`` sales orders with GONs in every state, a transfer GON and a few bad records."""
    rng = random.Random(seed)
    stock_ids = [pid for pid, p in sb.products.items() if p["stock"]["stockTracked"]]
    non_stock = [pid for pid, p in sb.products.items() if not p["stock"]["stockTracked"]]
    channels = sorted(sb.channels)
    warehouses = sorted(sb.warehouses)
    for index in range(orders):
        placed = now - timedelta(days=rng.uniform(0.2, 20), minutes=rng.randint(0, 600))
        rows = [(pid, rng.randint(1, 3)) for pid in rng.sample(stock_ids, rng.randint(1, 3))]
        if index % 9 == 4:
            rows.append((rng.choice(non_stock), 1))
        customer, delivery = _customer(rng, index)
        if index == 3:
            delivery["addressLine1"] = ""  # bad: no first address line
        elif index == 5:
            delivery["country"] = ""  # bad: no country
            delivery["countryIsoCode"] = ""
            delivery["countryIsoCode3"] = ""
        elif index == 7:
            delivery["countryIsoCode"] = "UK"  # bad: not an ISO code
        order_id = sb.add_order(
            channel_id=channels[index % len(channels)],
            warehouse_id=warehouses[index % len(warehouses)],
            rows=rows,
            customer=customer,
            delivery=delivery,
            placed_on=placed,
            status_id=rng.choice([2, 3]),
            contact_id=300 + index,
            reference=f"#{1000 + index}",
        )
        created = placed + timedelta(minutes=rng.randint(5, 90))
        if min(created, now) is not created:
            created = now
        state = "printed" if index in (3, 5, 7, 11) else STATE_CYCLE[index % len(STATE_CYCLE)]
        order = sb.orders[order_id]
        tracked_rows = [
            int(r) for r, row in order["orderRows"].items() if row["productId"] in stock_ids
        ]
        if index == 11:
            sb.add_gon(order_id, {}, state=state, created_on=created)  # bad: a GON with no rows
        elif index % 6 == 1 and len(tracked_rows) >= 2:
            first, second = tracked_rows[:1], tracked_rows[1:]
            qty = {
                int(r): int(float(order["orderRows"][str(r)]["quantity"]["magnitude"]))
                for r in tracked_rows
            }
            sb.add_gon(order_id, {r: qty[r] for r in first}, state="shipped", created_on=created)
            other = warehouses[(index + 1) % len(warehouses)]
            sb.add_gon(
                order_id,
                {r: qty[r] for r in second},
                other,
                state=state,
                sequence=2,
                created_on=created + timedelta(hours=2),
            )
        else:
            sb.add_gon(order_id, None, state=state, created_on=created)
    if orders:
        transfer_from, transfer_to = warehouses[0], warehouses[1]
        sb.add_gon(
            0,
            {stock_ids[0]: 12, stock_ids[1]: 4},
            transfer_from,
            state="printed",
            created_on=now - timedelta(days=1),
            target_warehouse_id=transfer_to,
        )
