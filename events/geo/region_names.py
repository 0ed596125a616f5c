"""The spellings of first-level regions that the readers meet, by ISO 3166-2 code.

One row per region of Ukraine, Russia and Belarus: its ISO 3166-2 code, the one canonical English
name strikedb stores, and the other spellings seen in event files and boundary data, separated by
``|``. The table is documented in ``docs/csv-format.md`` (Regions); :mod:`events.geo.regions` folds
every spelling (case, accents, Cyrillic transliterated, words such as "oblast" or "krai" dropped,
Russian/Ukrainian adjective endings unified), so each spelling here stands for many: "Харківська
область", "Kharkivs'ka oblast" and "Kharkivska" all come from the entries below. The local names
of the ISO standard (``pycountry``: "Kharkivska oblast", "Ryazanskaya oblast'") are added
automatically, as are pycountry's names for every other country.

The spellings come from: ISO 3166-2 (English and local), Wikipedia's English names, GeoNames
admin-1 names as bundled in ``events/data/admin1.geojson`` ("Rjazan", "Kiev", "Nizjnij
Novgorod", "Voronezj"), Natural Earth, ACLED and UCDP GED exports ("Kharkiv", "Kyiv City"), and
Russian and Ukrainian forms (Cyrillic, and the older Russian-based transliterations "Kharkov",
"Nikolaev", "Zaporozhye").

Ambiguous bare names follow GeoNames and ACLED: "Kyiv"/"Kiev" alone is the oblast (UA-32), the
city is "Kyiv City" / "місто Київ" (UA-30); "Moscow"/"Москва" alone is the city (RU-MOW), the
oblast is "Moscow Oblast" / "Moskovskaya" (RU-MOS); "Altai"/"Altay" alone is the republic (RU-AL),
the krai is "Altai Krai" (RU-ALT); "Minsk" alone is the city (BY-HM), the voblast "Minsk
Region" / "Minskaya" (BY-MI).
"""

from __future__ import annotations

#: (ISO 3166-2 code, canonical English name, other spellings separated by "|").
REGION_SPELLINGS: tuple[tuple[str, str, str], ...] = (
    # --- Ukraine ---------------------------------------------------------------------------
    ("UA-05", "Vinnytsia Oblast", "Vinnytsia|Vinnitsa|Vinnytsya|Vinnyts'ka|Вінницька область|Винницкая область"),
    ("UA-07", "Volyn Oblast", "Volyn|Volhynia|Volynska|Волинська область|Волынская область"),
    ("UA-09", "Luhansk Oblast", "Luhansk|Lugansk|Luhanska|Луганська область|Луганская область"),
    (
        "UA-12",
        "Dnipropetrovsk Oblast",
        "Dnipropetrovsk|Dnepropetrovsk|Dnipropetrovska|Dnipro Oblast|Дніпропетровська область|Днепропетровская область",
    ),
    ("UA-14", "Donetsk Oblast", "Donetsk|Donetska|Донецька область|Донецкая область"),
    ("UA-18", "Zhytomyr Oblast", "Zhytomyr|Zhitomir|Zhytomyrska|Житомирська область|Житомирская область"),
    (
        "UA-21",
        "Zakarpattia Oblast",
        "Zakarpattia|Zakarpattya|Zakarpattia Oblast|Transcarpathia|Zakarpatska|Zakarpatskaya"
        "|Закарпатська область|Закарпатская область",
    ),
    (
        "UA-23",
        "Zaporizhzhia Oblast",
        "Zaporizhzhia|Zaporizhia|Zaporizhzhya|Zaporozhye|Zaporozhe|Zaporizka|Zaporiz'ka"
        "|Запорізька область|Запорожская область",
    ),
    (
        "UA-26",
        "Ivano-Frankivsk Oblast",
        "Ivano-Frankivsk|Ivano-Frankovsk|Ivano-Frankivska|Івано-Франківська область|Ивано-Франковская область",
    ),
    (
        "UA-30",
        "Kyiv",
        "Kyiv City|Kiev City|City of Kyiv|Kyiv city|Misto Kyiv|Misto Kyyiv|m. Kyiv|місто Київ|м. Київ|город Киев",
    ),
    ("UA-32", "Kyiv Oblast", "Kyiv|Kiev|Kyivska|Kyivs'ka|Kievskaya|Київ|Київська область|Киевская область|Киев"),
    (
        "UA-35",
        "Kirovohrad Oblast",
        "Kirovohrad|Kirovograd|Kropyvnytskyi|Kirovohradska|Кіровоградська область|Кировоградская область",
    ),
    (
        "UA-40",
        "Sevastopol",
        "Sevastopol|Sebastopol|Misto Sevastopol|Misto Sevastopol'|Sevastopol City|Севастополь|місто Севастополь",
    ),
    (
        "UA-43",
        "Autonomous Republic of Crimea",
        "Crimea|Krym|Republic of Crimea|Avtonomna Respublika Krym|Respublika Krym|Crimean Peninsula"
        "|Крим|Крым|Автономна Республіка Крим|Республика Крым",
    ),
    ("UA-46", "Lviv Oblast", "Lviv|Lvov|Lwow|Lvivska|Львівська область|Львовская область"),
    (
        "UA-48",
        "Mykolaiv Oblast",
        "Mykolaiv|Mykolayiv|Nikolaev|Nikolayev|Mykolaivska|Миколаївська область|Николаевская область",
    ),
    ("UA-51", "Odesa Oblast", "Odesa|Odessa|Odeska|Odes'ka|Odesskaya|Одеська область|Одесская область"),
    ("UA-53", "Poltava Oblast", "Poltava|Poltavska|Полтавська область|Полтавская область"),
    ("UA-56", "Rivne Oblast", "Rivne|Rovno|Rivnenska|Рівненська область|Ровенская область"),
    ("UA-59", "Sumy Oblast", "Sumy|Sumska|Сумська область|Сумская область"),
    ("UA-61", "Ternopil Oblast", "Ternopil|Ternopol|Ternopilska|Тернопільська область|Тернопольская область"),
    (
        "UA-63",
        "Kharkiv Oblast",
        "Kharkiv|Kharkov|Kharkivska|Kharkivs'ka|Kharkovskaya|Charkiw|Харківська область|Харьковская область",
    ),
    ("UA-65", "Kherson Oblast", "Kherson|Khersonska|Херсонська область|Херсонская область"),
    (
        "UA-68",
        "Khmelnytskyi Oblast",
        "Khmelnytskyi|Khmelnytsky|Khmelnitsky|Khmelnytska|Khmelnitskaya|Хмельницька область|Хмельницкая область",
    ),
    ("UA-71", "Cherkasy Oblast", "Cherkasy|Cherkassy|Cherkaska|Черкаська область|Черкасская область"),
    (
        "UA-74",
        "Chernihiv Oblast",
        "Chernihiv|Chernigov|Chernihivska|Chernigovskaya|Чернігівська область|Черниговская область",
    ),
    (
        "UA-77",
        "Chernivtsi Oblast",
        "Chernivtsi|Chernovtsy|Chernivetska|Chernovitskaya|Чернівецька область|Черновицкая область",
    ),
    # --- Russia -----------------------------------------------------------------------------
    ("RU-AD", "Republic of Adygea", "Adygea|Adygeya|Adygeja|Adygey|Адыгея|Республика Адыгея"),
    ("RU-AL", "Altai Republic", "Altai|Altay|Gorno-Altai|Republic of Altai|Республика Алтай"),
    ("RU-ALT", "Altai Krai", "Altai Krai|Altay Kray|Altayskiy|Altaiskiy|Алтайский край"),
    ("RU-AMU", "Amur Oblast", "Amur|Amurskaya|Амурская область"),
    ("RU-ARK", "Arkhangelsk Oblast", "Arkhangelsk|Archangelsk|Arkhangelskaya|Архангельская область"),
    ("RU-AST", "Astrakhan Oblast", "Astrakhan|Astrakhanskaya|Астраханская область|Астраханська область"),
    ("RU-BA", "Republic of Bashkortostan", "Bashkortostan|Bashkiria|Bashkiriya|Башкортостан|Башкирия"),
    ("RU-BEL", "Belgorod Oblast", "Belgorod|Belgorodskaya|Bilhorod|Белгородская область|Бєлгородська область"),
    ("RU-BRY", "Bryansk Oblast", "Bryansk|Brjansk|Briansk|Bryanskaya|Брянская область|Брянська область"),
    ("RU-BU", "Republic of Buryatia", "Buryatia|Buryatiya|Respublika Buryatiya|Бурятия"),
    ("RU-CE", "Chechen Republic", "Chechnya|Chechnia|Chechenskaya|Ичкерия|Чечня|Чеченская Республика"),
    ("RU-CHE", "Chelyabinsk Oblast", "Chelyabinsk|Chelyabinskaya|Челябинская область"),
    (
        "RU-CHU",
        "Chukotka Autonomous Okrug",
        "Chukotka|Chukotskiy|Chukotskiy Avtonomnyy Okrug|Чукотский автономный округ|Чукотка",
    ),
    ("RU-CU", "Chuvash Republic", "Chuvashia|Chuvashiya|Chuvashskaya|Чувашия|Чувашская Республика"),
    ("RU-DA", "Republic of Dagestan", "Dagestan|Daghestan|Дагестан"),
    ("RU-IN", "Republic of Ingushetia", "Ingushetia|Ingushetiya|Ингушетия"),
    ("RU-IRK", "Irkutsk Oblast", "Irkutsk|Irkutskaya|Иркутская область"),
    ("RU-IVA", "Ivanovo Oblast", "Ivanovo|Ivanovskaya|Ивановская область"),
    ("RU-KAM", "Kamchatka Krai", "Kamchatka|Kamtsjatka|Kamchatskiy|Камчатский край"),
    (
        "RU-KB",
        "Kabardino-Balkarian Republic",
        "Kabardino-Balkaria|Kabardino-Balkariya|Kabardino-Balkarskaya|Кабардино-Балкария",
    ),
    (
        "RU-KC",
        "Karachay-Cherkess Republic",
        "Karachay-Cherkessia|Karachayevo-Cherkesiya|Karachayevo-Cherkesskaya|Карачаево-Черкесия",
    ),
    (
        "RU-KDA",
        "Krasnodar Krai",
        "Krasnodar|Krasnodarskiy|Krasnodarsky|Kuban|Краснодарский край|Краснодарський край|Кубань",
    ),
    ("RU-KEM", "Kemerovo Oblast", "Kemerovo|Kemerovskaya|Kuzbass|Кемеровская область|Кузбасс"),
    ("RU-KGD", "Kaliningrad Oblast", "Kaliningrad|Kaliningradskaya|Калининградская область"),
    ("RU-KGN", "Kurgan Oblast", "Kurgan|Kurganskaya|Курганская область"),
    ("RU-KHA", "Khabarovsk Krai", "Khabarovsk|Khabarovskiy|Хабаровский край"),
    (
        "RU-KHM",
        "Khanty-Mansi Autonomous Okrug",
        "Khanty-Mansi|Khanty-Mansiysk|Khanty-Mansiyskiy|Khanty-Mansiyskiy Avtonomnyy Okrug|Yugra"
        "|Ханты-Мансийский автономный округ|Югра",
    ),
    ("RU-KIR", "Kirov Oblast", "Kirov|Kirovskaya|Кировская область"),
    ("RU-KK", "Republic of Khakassia", "Khakassia|Khakasiya|Khakasia|Хакасия"),
    ("RU-KL", "Republic of Kalmykia", "Kalmykia|Kalmykiya|Калмыкия"),
    ("RU-KLU", "Kaluga Oblast", "Kaluga|Kaluzhskaya|Калужская область"),
    ("RU-KO", "Komi Republic", "Komi|Коми"),
    ("RU-KOS", "Kostroma Oblast", "Kostroma|Kostromskaya|Костромская область"),
    ("RU-KR", "Republic of Karelia", "Karelia|Kareliya|Карелия"),
    ("RU-KRS", "Kursk Oblast", "Kursk|Kurskaya|Курская область|Курська область"),
    ("RU-KYA", "Krasnoyarsk Krai", "Krasnoyarsk|Krasnoyarskiy|Красноярский край"),
    ("RU-LEN", "Leningrad Oblast", "Leningrad|Leningradskaya|Ленинградская область|Ленінградська область"),
    ("RU-LIP", "Lipetsk Oblast", "Lipetsk|Lipetskaya|Липецкая область"),
    ("RU-MAG", "Magadan Oblast", "Magadan|Magadanskaya|Магаданская область"),
    ("RU-ME", "Mari El Republic", "Mari El|Mariy-El|Mariy El|Марий Эл"),
    ("RU-MO", "Republic of Mordovia", "Mordovia|Mordoviya|Мордовия"),
    (
        "RU-MOS",
        "Moscow Oblast",
        "Moscow Oblast|Moscow Region|Moskovskaya|Moskovskaya Oblast|Podmoskovye|Московская область"
        "|Московська область|Подмосковье",
    ),
    ("RU-MOW", "Moscow", "Moscow|Moskva|Moscow City|Москва|город Москва|Москва город"),
    ("RU-MUR", "Murmansk Oblast", "Murmansk|Murmanskaya|Мурманская область"),
    ("RU-NEN", "Nenets Autonomous Okrug", "Nenets|Nenetskiy|Nenetskiy Avtonomnyy Okrug|Ненецкий автономный округ"),
    ("RU-NGR", "Novgorod Oblast", "Novgorod|Novgorodskaya|Veliky Novgorod|Новгородская область"),
    (
        "RU-NIZ",
        "Nizhny Novgorod Oblast",
        "Nizhny Novgorod|Nizhniy Novgorod|Nizhnii Novgorod|Nizjnij Novgorod|Nizhegorodskaya|Нижегородская область"
        "|Нижний Новгород",
    ),
    ("RU-NVS", "Novosibirsk Oblast", "Novosibirsk|Novosibirskaya|Новосибирская область"),
    ("RU-OMS", "Omsk Oblast", "Omsk|Omskaya|Омская область"),
    ("RU-ORE", "Orenburg Oblast", "Orenburg|Orenburgskaya|Оренбургская область"),
    ("RU-ORL", "Oryol Oblast", "Oryol|Orel|Orjol|Orlovskaya|Орловская область"),
    ("RU-PER", "Perm Krai", "Perm|Permskiy|Пермский край"),
    ("RU-PNZ", "Penza Oblast", "Penza|Penzenskaya|Пензенская область"),
    ("RU-PRI", "Primorsky Krai", "Primorsky|Primorskiy|Primorye|Приморский край|Приморье"),
    ("RU-PSK", "Pskov Oblast", "Pskov|Pskovskaya|Псковская область"),
    ("RU-ROS", "Rostov Oblast", "Rostov|Rostovskaya|Ростовская область|Ростовська область"),
    ("RU-RYA", "Ryazan Oblast", "Ryazan|Rjazan|Riazan|Ryazanskaya|Рязанская область|Рязанська область"),
    ("RU-SA", "Sakha Republic", "Sakha|Saha|Yakutia|Yakutiya|Sakha (Yakutia)|Якутия|Республика Саха"),
    ("RU-SAK", "Sakhalin Oblast", "Sakhalin|Sakhalinskaya|Сахалинская область"),
    ("RU-SAM", "Samara Oblast", "Samara|Samarskaya|Самарская область|Самарська область"),
    ("RU-SAR", "Saratov Oblast", "Saratov|Saratovskaya|Саратовская область|Саратовська область"),
    (
        "RU-SE",
        "Republic of North Ossetia-Alania",
        "North Ossetia|North Ossetia-Alania|North Ossetia–Alania|Severnaya Osetiya|Северная Осетия",
    ),
    ("RU-SMO", "Smolensk Oblast", "Smolensk|Smolenskaya|Смоленская область"),
    (
        "RU-SPE",
        "Saint Petersburg",
        "Saint Petersburg|St. Petersburg|St Petersburg|St.-Petersburg|Sankt-Peterburg|Petersburg|Санкт-Петербург",
    ),
    ("RU-STA", "Stavropol Krai", "Stavropol|Stavropol'skiy|Stavropolskiy|Ставропольский край"),
    ("RU-SVE", "Sverdlovsk Oblast", "Sverdlovsk|Sverdlovskaya|Свердловская область"),
    ("RU-TA", "Republic of Tatarstan", "Tatarstan|Татарстан"),
    ("RU-TAM", "Tambov Oblast", "Tambov|Tambovskaya|Тамбовская область"),
    ("RU-TOM", "Tomsk Oblast", "Tomsk|Tomskaya|Томская область"),
    ("RU-TUL", "Tula Oblast", "Tula|Tul'skaya|Tulskaya|Тульская область"),
    ("RU-TVE", "Tver Oblast", "Tver|Tverskaya|Тверская область"),
    ("RU-TY", "Tuva Republic", "Tuva|Tyva|Тыва|Тува"),
    ("RU-TYU", "Tyumen Oblast", "Tyumen|Tjumen|Tyumenskaya|Тюменская область"),
    ("RU-UD", "Udmurt Republic", "Udmurtia|Udmurtiya|Udmurtskaya|Удмуртия"),
    ("RU-ULY", "Ulyanovsk Oblast", "Ulyanovsk|Ul'yanovskaya|Ulyanovskaya|Ульяновская область"),
    ("RU-VGG", "Volgograd Oblast", "Volgograd|Volgogradskaya|Волгоградская область|Волгоградська область"),
    ("RU-VLA", "Vladimir Oblast", "Vladimir|Vladimirskaya|Владимирская область"),
    ("RU-VLG", "Vologda Oblast", "Vologda|Vologodskaya|Вологодская область"),
    ("RU-VOR", "Voronezh Oblast", "Voronezh|Voronezj|Voronezhskaya|Воронежская область|Воронезька область"),
    (
        "RU-YAN",
        "Yamalo-Nenets Autonomous Okrug",
        "Yamalo-Nenets|Yamal|Yamalo-Nenetskiy|Yamalo-Nenetskiy Avtonomnyy Okrug|Ямало-Ненецкий автономный округ",
    ),
    ("RU-YAR", "Yaroslavl Oblast", "Yaroslavl|Jaroslavl|Yaroslavskaya|Ярославская область"),
    (
        "RU-YEV",
        "Jewish Autonomous Oblast",
        "Jewish Autonomous Oblast|Yevreyskaya|Evreyskaya|Birobidzhan|Еврейская автономная область",
    ),
    (
        "RU-ZAB",
        "Zabaykalsky Krai",
        "Zabaykalsky|Zabaykalskiy|Zabaykal'skiy|Transbaikal|Transbaikal Territory|Chita|Забайкальский край",
    ),
    # --- Belarus ----------------------------------------------------------------------------
    ("BY-BR", "Brest Region", "Brest|Brestskaya|Bresckaja|Брестская область|Брэсцкая вобласць"),
    ("BY-HM", "Minsk", "Minsk|Minsk City|Horad Minsk|Минск|Мінск"),
    ("BY-HO", "Gomel Region", "Gomel|Homel|Homiel|Gomelskaya|Гомельская область|Гомельская вобласць"),
    ("BY-HR", "Grodno Region", "Grodno|Hrodna|Grodnenskaya|Hrodzienskaja|Гродненская область"),
    ("BY-MA", "Mogilev Region", "Mogilev|Mahilyow|Mahiliou|Mogilevskaya|Могилёвская область|Магілёўская вобласць"),
    ("BY-MI", "Minsk Region", "Minsk Region|Minsk Oblast|Minskaya|Минская область|Мінская вобласць"),
    ("BY-VI", "Vitebsk Region", "Vitebsk|Viciebsk|Vitsyebsk|Vitebskaya|Витебская область|Віцебская вобласць"),
)
