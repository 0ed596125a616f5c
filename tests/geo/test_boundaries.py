"""The bundled country and admin-1 boundaries, checked against places whose country and region are known.

Every expected value below is a geographic fact (the country and ISO 3166-2 region a town, port or
plant lies in), not read back from the bundled files. Coordinates are town centres or the site itself,
to two or three decimals. ``None`` as the code: the country has no bundled admin-1 regions (only
UA, RU, BY and MD do).
"""

from __future__ import annotations

import csv
import json
from importlib import resources

import pycountry
import pytest
import shapely
from shapely.geometry import shape

from events.geo import Region, admin1_at, country_at, region_at

# (place, latitude, longitude, country, ISO 3166-2 code)
RUSSIA_CAPITALS = [
    ("Maykop", 44.61, 40.10, "RU", "RU-AD"),
    ("Gorno-Altaysk", 51.96, 85.96, "RU", "RU-AL"),
    ("Barnaul", 53.35, 83.78, "RU", "RU-ALT"),
    ("Blagoveshchensk", 50.30, 127.55, "RU", "RU-AMU"),
    ("Arkhangelsk", 64.54, 40.54, "RU", "RU-ARK"),
    ("Astrakhan", 46.35, 48.04, "RU", "RU-AST"),
    ("Ufa", 54.73, 55.96, "RU", "RU-BA"),
    ("Belgorod", 50.60, 36.59, "RU", "RU-BEL"),
    ("Bryansk", 53.25, 34.37, "RU", "RU-BRY"),
    ("Ulan-Ude", 51.83, 107.58, "RU", "RU-BU"),
    ("Grozny", 43.32, 45.69, "RU", "RU-CE"),
    ("Chelyabinsk", 55.16, 61.40, "RU", "RU-CHE"),
    ("Anadyr", 64.73, 177.51, "RU", "RU-CHU"),
    ("Cheboksary", 56.13, 47.25, "RU", "RU-CU"),
    ("Makhachkala", 42.98, 47.50, "RU", "RU-DA"),
    ("Magas", 43.17, 44.81, "RU", "RU-IN"),
    ("Irkutsk", 52.29, 104.28, "RU", "RU-IRK"),
    ("Ivanovo", 57.00, 40.97, "RU", "RU-IVA"),
    ("Petropavlovsk-Kamchatsky", 53.02, 158.65, "RU", "RU-KAM"),
    ("Nalchik", 43.48, 43.61, "RU", "RU-KB"),
    ("Cherkessk", 44.23, 42.05, "RU", "RU-KC"),
    ("Krasnodar", 45.04, 38.98, "RU", "RU-KDA"),
    ("Kemerovo", 55.35, 86.09, "RU", "RU-KEM"),
    ("Kaliningrad", 54.71, 20.51, "RU", "RU-KGD"),
    ("Kurgan", 55.44, 65.34, "RU", "RU-KGN"),
    ("Khabarovsk", 48.48, 135.08, "RU", "RU-KHA"),
    ("Khanty-Mansiysk", 61.00, 69.02, "RU", "RU-KHM"),
    ("Kirov", 58.60, 49.66, "RU", "RU-KIR"),
    ("Abakan", 53.72, 91.42, "RU", "RU-KK"),
    ("Elista", 46.31, 44.26, "RU", "RU-KL"),
    ("Kaluga", 54.51, 36.26, "RU", "RU-KLU"),
    ("Syktyvkar", 61.67, 50.84, "RU", "RU-KO"),
    ("Kostroma", 57.77, 40.93, "RU", "RU-KOS"),
    ("Petrozavodsk", 61.79, 34.36, "RU", "RU-KR"),
    ("Kursk", 51.73, 36.19, "RU", "RU-KRS"),
    ("Krasnoyarsk", 56.01, 92.87, "RU", "RU-KYA"),
    ("Gatchina", 59.57, 30.13, "RU", "RU-LEN"),
    ("Lipetsk", 52.61, 39.59, "RU", "RU-LIP"),
    ("Magadan", 59.57, 150.80, "RU", "RU-MAG"),
    ("Yoshkar-Ola", 56.63, 47.89, "RU", "RU-ME"),
    ("Saransk", 54.18, 45.18, "RU", "RU-MO"),
    ("Krasnogorsk", 55.83, 37.28, "RU", "RU-MOS"),
    ("Moscow", 55.75, 37.62, "RU", "RU-MOW"),
    ("Murmansk", 68.97, 33.08, "RU", "RU-MUR"),
    ("Naryan-Mar", 67.64, 53.01, "RU", "RU-NEN"),
    ("Veliky Novgorod", 58.52, 31.27, "RU", "RU-NGR"),
    ("Nizhny Novgorod", 56.33, 44.00, "RU", "RU-NIZ"),
    ("Novosibirsk", 55.03, 82.92, "RU", "RU-NVS"),
    ("Omsk", 54.99, 73.37, "RU", "RU-OMS"),
    ("Orenburg", 51.77, 55.10, "RU", "RU-ORE"),
    ("Oryol", 52.97, 36.07, "RU", "RU-ORL"),
    ("Perm", 58.01, 56.25, "RU", "RU-PER"),
    ("Penza", 53.20, 45.00, "RU", "RU-PNZ"),
    ("Vladivostok", 43.12, 131.89, "RU", "RU-PRI"),
    ("Pskov", 57.82, 28.33, "RU", "RU-PSK"),
    ("Rostov-on-Don", 47.23, 39.72, "RU", "RU-ROS"),
    ("Ryazan", 54.63, 39.74, "RU", "RU-RYA"),
    ("Yakutsk", 62.03, 129.73, "RU", "RU-SA"),
    ("Yuzhno-Sakhalinsk", 46.96, 142.73, "RU", "RU-SAK"),
    ("Samara", 53.20, 50.15, "RU", "RU-SAM"),
    ("Saratov", 51.53, 46.03, "RU", "RU-SAR"),
    ("Vladikavkaz", 43.02, 44.68, "RU", "RU-SE"),
    ("Smolensk", 54.78, 32.04, "RU", "RU-SMO"),
    ("Saint Petersburg", 59.94, 30.31, "RU", "RU-SPE"),
    ("Stavropol", 45.04, 41.97, "RU", "RU-STA"),
    ("Yekaterinburg", 56.84, 60.61, "RU", "RU-SVE"),
    ("Kazan", 55.79, 49.12, "RU", "RU-TA"),
    ("Tambov", 52.72, 41.45, "RU", "RU-TAM"),
    ("Tomsk", 56.48, 84.95, "RU", "RU-TOM"),
    ("Tula", 54.19, 37.62, "RU", "RU-TUL"),
    ("Tver", 56.86, 35.90, "RU", "RU-TVE"),
    ("Kyzyl", 51.72, 94.45, "RU", "RU-TY"),
    ("Tyumen", 57.15, 65.53, "RU", "RU-TYU"),
    ("Izhevsk", 56.85, 53.20, "RU", "RU-UD"),
    ("Ulyanovsk", 54.32, 48.40, "RU", "RU-ULY"),
    ("Volgograd", 48.71, 44.51, "RU", "RU-VGG"),
    ("Vladimir", 56.13, 40.41, "RU", "RU-VLA"),
    ("Vologda", 59.22, 39.89, "RU", "RU-VLG"),
    ("Voronezh", 51.67, 39.18, "RU", "RU-VOR"),
    ("Salekhard", 66.53, 66.60, "RU", "RU-YAN"),
    ("Yaroslavl", 57.63, 39.87, "RU", "RU-YAR"),
    ("Birobidzhan", 48.79, 132.92, "RU", "RU-YEV"),
    ("Chita", 52.03, 113.50, "RU", "RU-ZAB"),
]
UKRAINE_CAPITALS = [
    ("Vinnytsia", 49.23, 28.47, "UA", "UA-05"),
    ("Lutsk", 50.75, 25.33, "UA", "UA-07"),
    ("Luhansk", 48.57, 39.31, "UA", "UA-09"),
    ("Dnipro", 48.46, 35.05, "UA", "UA-12"),
    ("Donetsk", 48.00, 37.80, "UA", "UA-14"),
    ("Zhytomyr", 50.25, 28.66, "UA", "UA-18"),
    ("Uzhhorod", 48.62, 22.30, "UA", "UA-21"),
    ("Zaporizhzhia", 47.84, 35.14, "UA", "UA-23"),
    ("Ivano-Frankivsk", 48.92, 24.71, "UA", "UA-26"),
    ("Kyiv", 50.45, 30.52, "UA", "UA-30"),
    ("Bila Tserkva (Kyiv Oblast; its centre is Kyiv)", 49.80, 30.11, "UA", "UA-32"),
    ("Kropyvnytskyi", 48.51, 32.26, "UA", "UA-35"),
    ("Sevastopol", 44.60, 33.52, "UA", "UA-40"),
    ("Simferopol", 44.95, 34.10, "UA", "UA-43"),
    ("Lviv", 49.84, 24.03, "UA", "UA-46"),
    ("Mykolaiv", 46.97, 31.99, "UA", "UA-48"),
    ("Odesa", 46.48, 30.72, "UA", "UA-51"),
    ("Poltava", 49.59, 34.55, "UA", "UA-53"),
    ("Rivne", 50.62, 26.25, "UA", "UA-56"),
    ("Sumy", 50.91, 34.80, "UA", "UA-59"),
    ("Ternopil", 49.55, 25.59, "UA", "UA-61"),
    ("Kharkiv", 49.99, 36.23, "UA", "UA-63"),
    ("Kherson", 46.64, 32.61, "UA", "UA-65"),
    ("Khmelnytskyi", 49.42, 26.98, "UA", "UA-68"),
    ("Cherkasy", 49.44, 32.06, "UA", "UA-71"),
    ("Chernihiv", 51.49, 31.29, "UA", "UA-74"),
    ("Chernivtsi", 48.29, 25.94, "UA", "UA-77"),
]
BELARUS_MOLDOVA = [
    ("Minsk", 53.90, 27.56, "BY", "BY-HM"),
    ("Barysaw", 54.23, 28.50, "BY", "BY-MI"),
    ("Brest", 52.10, 23.75, "BY", "BY-BR"),
    ("Gomel", 52.43, 30.98, "BY", "BY-HO"),
    ("Grodno", 53.68, 23.83, "BY", "BY-HR"),
    ("Mogilev", 53.90, 30.33, "BY", "BY-MA"),
    ("Vitebsk", 55.19, 30.20, "BY", "BY-VI"),
    ("Mozyr refinery", 52.05, 29.25, "BY", "BY-HO"),
    ("Novopolotsk (Naftan refinery)", 55.53, 28.65, "BY", "BY-VI"),
    ("Chisinau", 47.01, 28.86, "MD", "MD-CU"),
    ("Balti", 47.76, 27.93, "MD", "MD-BA"),
    ("Comrat", 46.30, 28.66, "MD", "MD-GA"),
    ("Cahul", 45.90, 28.19, "MD", "MD-CA"),
]
ENERGY_SITES = [
    ("Ust-Luga port", 59.68, 28.40, "RU", "RU-LEN"),
    ("Primorsk oil terminal", 60.34, 28.70, "RU", "RU-LEN"),
    ("Vysotsk terminal", 60.63, 28.57, "RU", "RU-LEN"),
    ("Kirishi refinery", 59.47, 32.05, "RU", "RU-LEN"),
    ("Novorossiysk Sheskharis terminal", 44.68, 37.79, "RU", "RU-KDA"),
    ("CPC marine terminal, Yuzhnaya Ozereyevka (moorings offshore)", 44.64, 37.62, "RU", "RU-KDA"),
    ("Tuapse refinery", 44.10, 39.08, "RU", "RU-KDA"),
    ("Taman", 45.21, 36.72, "RU", "RU-KDA"),
    ("Port Kavkaz", 45.34, 36.66, "RU", "RU-KDA"),
    ("Afipsky refinery", 44.90, 38.84, "RU", "RU-KDA"),
    ("Ilsky refinery", 44.85, 38.56, "RU", "RU-KDA"),
    ("Slavyansk-na-Kubani refinery", 45.27, 38.14, "RU", "RU-KDA"),
    ("Tikhoretsk oil pumping station", 45.85, 40.13, "RU", "RU-KDA"),
    ("Feodosia oil depot", 45.03, 35.38, "UA", "UA-43"),
    ("Kerch", 45.36, 36.47, "UA", "UA-43"),
    ("Dzhankoi", 45.71, 34.39, "UA", "UA-43"),
    ("Armyansk", 46.11, 33.69, "UA", "UA-43"),
    ("Crimean Titan plant, Perekop isthmus", 46.15, 33.64, "UA", "UA-43"),
    ("Kalanchak", 46.255, 33.29, "UA", "UA-65"),
    ("Slavutych (Kyiv Oblast exclave)", 51.522, 30.757, "UA", "UA-32"),
    ("Slavutych 330 kV substation", 51.5236, 30.7077, "UA", "UA-32"),
    ("Ripky (Chernihiv Oblast, beside the Slavutych exclave)", 51.80, 31.08, "UA", "UA-74"),
    # Pobuzka: geoBoundaries' Kirovohrad-Mykolaiv line, 1.2 km north of the site (a CORRECTION of Natural Earth).
    ("Pobuzka 330 kV substation (Mykolaiv side)", 48.1453, 30.6131, "UA", "UA-48"),
    ("Pobuzke (Kirovohrad Oblast, north of the Pobuzka line)", 48.1595, 30.5925, "UA", "UA-35"),
    ("Dobra Prystan (Mykolaiv Oblast, south of Pobuzka)", 48.1338, 30.6183, "UA", "UA-48"),
    # Rudna: Natural Earth and geoBoundaries agree on Dnipropetrovsk (OSM's GADM join says Kirovohrad), uncorrected.
    ("Rudna 330 kV substation (Dnipropetrovsk side)", 48.2359, 33.5515, "UA", "UA-12"),
    ("4 km west of Rudna (Kirovohrad Oblast in both sources)", 48.2359, 33.495, "UA", "UA-35"),
    ("Volgograd refinery", 48.53, 44.50, "RU", "RU-VGG"),
    ("Ryazan refinery", 54.58, 39.73, "RU", "RU-RYA"),
    ("Syzran refinery", 53.16, 48.47, "RU", "RU-SAM"),
    ("Novokuybyshevsk refinery", 53.10, 49.94, "RU", "RU-SAM"),
    ("Saratov refinery", 51.49, 46.05, "RU", "RU-SAR"),
    ("Moscow refinery, Kapotnya", 55.64, 37.79, "RU", "RU-MOW"),
    ("Serpukhov", 54.92, 37.41, "RU", "RU-MOS"),
    ("Novoshakhtinsk refinery", 47.80, 39.93, "RU", "RU-ROS"),
    ("Unecha pumping station", 52.85, 32.68, "RU", "RU-BRY"),
    ("Kstovo refinery", 56.14, 44.17, "RU", "RU-NIZ"),
    ("Odesa port", 46.50, 30.75, "UA", "UA-51"),
    ("Pivdennyi port", 46.62, 31.02, "UA", "UA-51"),
    ("Izmail", 45.35, 28.84, "UA", "UA-51"),
    ("Kremenchuk", 49.07, 33.42, "UA", "UA-53"),
    ("Zaporizhzhia nuclear plant", 47.51, 34.59, "UA", "UA-23"),
    ("Vuhlehirska power plant", 48.46, 38.20, "UA", "UA-14"),
    ("Mariupol", 47.10, 37.55, "UA", "UA-14"),
    ("Henichesk", 46.17, 34.80, "UA", "UA-65"),
    ("Nova Kakhovka", 46.75, 33.37, "UA", "UA-65"),
    ("Sabetta (Yamal LNG)", 71.27, 72.06, "RU", "RU-YAN"),
]
BORDER_TOWNS = [
    ("Narva", 59.379, 28.198, "EE", None),
    ("Ivangorod", 59.37, 28.22, "RU", "RU-LEN"),
    ("Vyborg", 60.71, 28.75, "RU", "RU-LEN"),
    ("Imatra", 61.17, 28.75, "FI", None),
    ("Lappeenranta", 61.06, 28.19, "FI", None),
    ("Daugavpils", 55.87, 26.53, "LV", None),
    ("Chernyakhovsk", 54.63, 21.81, "RU", "RU-KGD"),
    ("Baltiysk", 54.65, 19.91, "RU", "RU-KGD"),
    ("Klaipeda", 55.71, 21.13, "LT", None),
    ("Terespol", 52.08, 23.62, "PL", None),
    ("Przemysl", 49.78, 22.77, "PL", None),
    ("Siret", 47.95, 26.06, "RO", None),
    ("Iasi", 47.16, 27.59, "RO", None),
    ("Galati", 45.44, 28.05, "RO", None),
    ("Orsha", 54.51, 30.41, "BY", "BY-VI"),
    ("Shebekino", 50.41, 36.89, "RU", "RU-BEL"),
    ("Vovchansk", 50.29, 36.94, "UA", "UA-63"),
    ("Kupiansk", 49.71, 37.61, "UA", "UA-63"),
    ("Sudzha", 51.19, 35.27, "RU", "RU-KRS"),
    ("Hlukhiv", 51.68, 33.91, "UA", "UA-59"),
    ("Klintsy", 52.76, 32.24, "RU", "RU-BRY"),
    ("Taganrog", 47.22, 38.90, "RU", "RU-ROS"),
    ("Kamensk-Shakhtinsky", 48.32, 40.26, "RU", "RU-ROS"),
    ("Millerovo", 48.92, 40.39, "RU", "RU-ROS"),
    ("Sochi", 43.60, 39.73, "RU", "RU-KDA"),
    ("Adler", 43.43, 39.92, "RU", "RU-KDA"),
    ("Gagra", 43.28, 40.27, "GE", None),
    ("Derbent", 42.06, 48.29, "RU", "RU-DA"),
    ("Oral", 51.23, 51.37, "KZ", None),
    ("Petropavl", 54.87, 69.15, "KZ", None),
    ("Kostanay", 53.21, 63.62, "KZ", None),
    ("Pavlodar", 52.29, 76.97, "KZ", None),
    ("Oskemen", 49.95, 82.61, "KZ", None),
    ("Semey", 50.41, 80.25, "KZ", None),
    ("Kirkenes", 69.73, 30.05, "NO", None),
    ("Nikel", 69.41, 30.22, "RU", "RU-MUR"),
]
ARCTIC = [
    ("Rovaniemi", 66.50, 25.73, "FI", None),
    ("Bodo", 67.28, 14.40, "NO", None),
    ("Lulea", 65.58, 22.15, "SE", None),
    ("Kiruna", 67.86, 20.23, "SE", None),
    ("Kemi", 65.74, 24.56, "FI", None),
    ("Tromso", 69.65, 18.96, "NO", None),
    ("Hammerfest", 70.66, 23.68, "NO", None),
    ("Nuuk", 64.18, -51.72, "GL", None),
    ("Reykjavik", 64.15, -21.94, "IS", None),
    ("Utqiagvik", 71.29, -156.79, "US", None),
    ("Nome", 64.50, -165.41, "US", None),
    ("Norilsk", 69.35, 88.20, "RU", "RU-KYA"),
    ("Dudinka", 69.41, 86.18, "RU", "RU-KYA"),
    ("Vorkuta", 67.50, 64.05, "RU", "RU-KO"),
    ("Pevek", 69.70, 170.31, "RU", "RU-CHU"),
    ("Provideniya (west of 180)", 64.42, -173.23, "RU", "RU-CHU"),
    ("Uelen (west of 180)", 66.16, -169.81, "RU", "RU-CHU"),
    ("Tiksi", 71.64, 128.87, "RU", "RU-SA"),
]
EUROPE_CAUCASUS_CENTRAL_ASIA = [
    ("Helsinki", 60.17, 24.94, "FI", None),
    ("Stockholm", 59.33, 18.07, "SE", None),
    ("Oslo", 59.91, 10.75, "NO", None),
    ("Copenhagen", 55.68, 12.57, "DK", None),
    ("Tallinn", 59.44, 24.75, "EE", None),
    ("Tartu", 58.38, 26.72, "EE", None),
    ("Riga", 56.95, 24.11, "LV", None),
    ("Vilnius", 54.69, 25.28, "LT", None),
    ("Kaunas", 54.90, 23.90, "LT", None),
    ("Warsaw", 52.23, 21.01, "PL", None),
    ("Krakow", 50.06, 19.94, "PL", None),
    ("Gdansk", 54.35, 18.65, "PL", None),
    ("Berlin", 52.52, 13.40, "DE", None),
    ("Prague", 50.08, 14.44, "CZ", None),
    ("Bratislava", 48.15, 17.11, "SK", None),
    ("Budapest", 47.50, 19.04, "HU", None),
    ("Vienna", 48.21, 16.37, "AT", None),
    ("Bucharest", 44.43, 26.10, "RO", None),
    ("Constanta", 44.18, 28.65, "RO", None),
    ("Sofia", 42.70, 23.32, "BG", None),
    ("Varna", 43.21, 27.91, "BG", None),
    ("Belgrade", 44.82, 20.46, "RS", None),
    ("Ljubljana", 46.05, 14.51, "SI", None),
    ("Zagreb", 45.81, 15.98, "HR", None),
    ("Sarajevo", 43.86, 18.41, "BA", None),
    ("Podgorica", 42.44, 19.26, "ME", None),
    ("Skopje", 42.00, 21.43, "MK", None),
    ("Tirana", 41.33, 19.82, "AL", None),
    ("Pristina", 42.66, 21.17, "XK", None),
    ("Athens", 37.98, 23.73, "GR", None),
    ("Ankara", 39.93, 32.86, "TR", None),
    ("Istanbul", 41.01, 28.98, "TR", None),
    ("Paris", 48.86, 2.35, "FR", None),
    ("London", 51.51, -0.13, "GB", None),
    ("Dublin", 53.35, -6.26, "IE", None),
    ("Amsterdam", 52.37, 4.90, "NL", None),
    ("Brussels", 50.85, 4.35, "BE", None),
    ("Bern", 46.95, 7.45, "CH", None),
    ("Rome", 41.90, 12.50, "IT", None),
    ("Madrid", 40.42, -3.70, "ES", None),
    ("Lisbon", 38.72, -9.14, "PT", None),
    ("Tbilisi", 41.72, 44.79, "GE", None),
    ("Kutaisi", 42.27, 42.70, "GE", None),
    ("Batumi", 41.64, 41.64, "GE", None),
    ("Yerevan", 40.18, 44.51, "AM", None),
    ("Gyumri", 40.79, 43.85, "AM", None),
    ("Baku", 40.38, 49.85, "AZ", None),
    ("Ganja", 40.68, 46.36, "AZ", None),
    ("Nakhchivan", 39.21, 45.41, "AZ", None),
    ("Astana", 51.17, 71.43, "KZ", None),
    ("Almaty", 43.24, 76.89, "KZ", None),
    ("Atyrau", 47.11, 51.88, "KZ", None),
    ("Tashkent", 41.30, 69.24, "UZ", None),
    ("Samarkand", 39.65, 66.96, "UZ", None),
    ("Bukhara", 39.77, 64.42, "UZ", None),
    ("Nukus", 42.46, 59.60, "UZ", None),
    ("Bishkek", 42.87, 74.59, "KG", None),
    ("Jalal-Abad", 40.93, 73.00, "KG", None),
    ("Dushanbe", 38.56, 68.79, "TJ", None),
    ("Khujand", 40.28, 69.62, "TJ", None),
    ("Ashgabat", 37.95, 58.38, "TM", None),
]
REFERENCE_POINTS = (
    RUSSIA_CAPITALS
    + UKRAINE_CAPITALS
    + BELARUS_MOLDOVA
    + ENERGY_SITES
    + BORDER_TOWNS
    + ARCTIC
    + EUROPE_CAUCASUS_CENTRAL_ASIA
)
# Open sea, more than ~20 km from any coast.
SEA_POINTS = [
    ("mid-Atlantic", 0.0, -30.0),
    ("North Atlantic at 65 N", 65.0, -10.0),
    ("Norwegian Sea", 68.0, 5.0),
    ("Greenland Sea", 75.0, -5.0),
    ("Barents Sea", 73.0, 40.0),
    ("Kara Sea", 75.0, 70.0),
    ("Arctic Ocean", 85.0, 0.0),
    ("Chukchi Sea", 70.0, -170.0),
    ("Bering Sea", 60.0, -178.0),
    ("Sea of Okhotsk", 55.0, 148.0),
    ("Black Sea", 43.5, 34.0),
    ("Sea of Azov", 46.0, 36.6),
    ("Caspian Sea", 42.0, 50.5),
    ("Baltic Sea", 57.0, 19.6),
    ("Prirazlomnaya platform, Pechora Sea (55 km offshore)", 69.25, 57.34),
]


def test_there_are_enough_reference_points() -> None:
    assert len(REFERENCE_POINTS) >= 150
    codes = {code for *_, code in REFERENCE_POINTS}
    # Every Russian and Ukrainian region is among them (Kyiv Oblast through one of its towns).
    assert {s.code for s in pycountry.subdivisions.get(country_code="RU")} <= codes
    assert {s.code for s in pycountry.subdivisions.get(country_code="UA")} <= codes


@pytest.mark.parametrize(
    ("place", "lat", "lon", "country", "code"), REFERENCE_POINTS, ids=[p[0] for p in REFERENCE_POINTS]
)
def test_reference_point_lies_in_its_country_and_region(
    place: str, lat: float, lon: float, country: str, code: str | None
) -> None:
    region = region_at(lat, lon)
    assert (region.country, region.iso_3166_2) == (country, code), place
    assert country_at(lat, lon) == country, place
    assert admin1_at(lat, lon) == (country, region.name)
    if code is not None:
        assert region.name, place


@pytest.mark.parametrize(("place", "lat", "lon"), SEA_POINTS, ids=[p[0] for p in SEA_POINTS])
def test_a_point_in_the_open_sea_has_no_country(place: str, lat: float, lon: float) -> None:
    assert region_at(lat, lon) == Region(None, None, None), place
    assert country_at(lat, lon) is None, place


def _features(name: str) -> list[dict]:
    text = (resources.files("events") / "data" / name).read_text(encoding="utf-8")
    return json.loads(text)["features"]


@pytest.mark.parametrize("name", ["countries.geojson", "admin1.geojson"])
def test_every_polygon_is_valid_and_no_part_spans_the_antimeridian(name: str) -> None:
    for feature in _features(name):
        geometry = shape(feature["geometry"])
        label = feature["properties"].get("iso2") or feature["properties"].get("iso_3166_2")
        assert geometry.geom_type in ("Polygon", "MultiPolygon"), label
        assert geometry.is_valid, (label, shapely.is_valid_reason(geometry))
        for part in shapely.get_parts(geometry):
            x0, y0, x1, y1 = part.bounds
            assert x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90, label
            assert x1 - x0 <= 180, (label, part.bounds)


def test_russian_regions_stay_in_russia() -> None:
    """No band across the Arctic: only Kaliningrad lies west of 26 E, only Chukotka east of 180."""
    for feature in _features("admin1.geojson"):
        props = feature["properties"]
        if props["country"] != "RU":
            continue
        for part in shapely.get_parts(shape(feature["geometry"])):
            x0, _, x1, _ = part.bounds
            if props["iso_3166_2"] == "RU-KGD":
                assert x0 >= 19.0 and x1 <= 23.0, part.bounds
            elif x0 < 0:
                assert props["iso_3166_2"] == "RU-CHU" and x0 >= -180 and x1 <= -168, (props, part.bounds)
            else:
                assert x0 >= 26.5, (props["iso_3166_2"], part.bounds)  # Leningrad Oblast starts at Ivangorod
    russia = next(shape(f["geometry"]) for f in _features("countries.geojson") if f["properties"]["iso2"] == "RU")
    for part in shapely.get_parts(russia):
        x0, y0, x1, _ = part.bounds
        assert x0 >= 19.0 or x1 <= -168, part.bounds
        assert not (0 <= x0 < 26.5 and y0 > 56), part.bounds  # nothing west of Ivangorod but Kaliningrad


def test_admin1_codes_are_iso_3166_2_and_complete() -> None:
    features = _features("admin1.geojson")
    codes = [f["properties"]["iso_3166_2"] for f in features]
    assert len(codes) == len(set(codes))
    for country in ("RU", "UA", "BY", "MD"):
        iso = {s.code for s in pycountry.subdivisions.get(country_code=country) if s.parent_code is None}
        built = {f["properties"]["iso_3166_2"] for f in features if f["properties"]["country"] == country}
        assert built <= iso, country
        # Moldova's MD-DU (Dubasari) has no polygon of its own in Natural Earth: it lies within MD-SN.
        assert iso - built <= {"MD-DU"}, country
    de_facto = {f["properties"]["iso_3166_2"]: f["properties"]["de_facto"] for f in features}
    assert {c for c, v in de_facto.items() if v} == {"UA-40", "UA-43"}
    assert de_facto["UA-43"] == de_facto["UA-40"] == "RU"


def test_admin1_regions_fill_their_country() -> None:
    """Both files come from the same polygons: a covered country is the union of its regions."""
    features = _features("admin1.geojson")
    outlines = {f["properties"]["iso2"]: shape(f["geometry"]) for f in _features("countries.geojson")}
    for country in ("RU", "UA", "BY", "MD"):
        regions = shapely.union_all([shape(f["geometry"]) for f in features if f["properties"]["country"] == country])
        assert outlines[country].symmetric_difference(regions).area < 1e-3 * outlines[country].area, country


def test_the_serpukhov_depot_is_placed_in_serpukhov_not_at_the_trackers_point() -> None:
    """The OSINT tracker's point for the Serpukhov depot lies 25 km west, in Kaluga Oblast; the depot
    (2-ya ulitsa Novoselok, Serpukhov) is in the city, Moscow Oblast. The gazetteer must not carry
    the tracker's point."""
    with resources.files("events").joinpath("data/facilities.csv").open(encoding="utf-8") as fh:
        depot = next(row for row in csv.DictReader(fh) if row["slug"] == "ru-depot-serpukhov")
    lat, lon = float(depot["latitude"]), float(depot["longitude"])
    assert region_at(lat, lon).iso_3166_2 == "RU-MOS"
    assert region_at(54.941428, 37.0169).iso_3166_2 == "RU-KLU"  # the tracker's point, as published
