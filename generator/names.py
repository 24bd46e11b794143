"""Name pools for the simulated people, by origin.

Why: the RMS extract carries names in any Unicode script (spec section 1), and the loader must
drop them without ever choking on them. A realistic mix, heavy on the accents and marks that
break naive code (Siobhán, Zoë, Łukasz, Nguyễn, O'Brien, Al-Hassan, José, Müller, Ayşe,
Dvořák), makes the synthetic landing a fair test. Every name is NFC and uses only letters,
apostrophes, hyphens and spaces, as the spec allows.

The pools are data, not reference lists of the warehouse: nothing here is validated against.
"""

from __future__ import annotations

# origin -> (male forenames, female forenames, surnames)
NAME_POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "british": (
        ("Jack", "Thomas", "James", "Daniel", "Ryan", "Liam", "Connor", "Callum", "Jordan",
         "Kyle", "Lewis", "Adam", "Michael", "David", "Paul", "Mark", "Craig", "Lee", "Stephen",
         "Gary", "Darren", "Shaun", "Wayne", "Andrew", "Christopher", "Jamie", "Dean", "Scott"),
        ("Chloe", "Jessica", "Emma", "Sophie", "Amy", "Laura", "Rebecca", "Hannah", "Lauren",
         "Gemma", "Kirsty", "Stacey", "Leanne", "Nicola", "Sarah", "Michelle", "Zoë", "Chelsea",
         "Megan", "Jade", "Natalie", "Danielle", "Kelly", "Louise"),
        ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Robinson", "Wright", "Thompson",
         "Walker", "White", "Hall", "Wood", "Harrison", "Robson", "Bell", "Armstrong", "Dixon",
         "Charlton", "Elliott", "Milburn", "Hodgson", "Graham", "Atkinson", "Pattinson", "Scott",
         "Stephenson", "Fenwick", "Lumsden", "Hetherington", "Clarke", "Cook", "Young",
         "Richardson", "Nicholson", "Whitfield", "Carr", "Dodds", "Surtees", "Moore", "Jackson"),
    ),
    "irish": (
        ("Seán", "Ciarán", "Pádraig", "Eoin", "Oisín", "Declan", "Cillian", "Darragh", "Conor",
         "Tadhg", "Éamon"),
        ("Siobhán", "Aoife", "Niamh", "Róisín", "Caoimhe", "Orla", "Saoirse", "Clodagh",
         "Éabha", "Gráinne"),
        ("O'Brien", "O'Neill", "Murphy", "Ó Súilleabháin", "McCarthy", "Byrne", "Kelly",
         "Walsh", "Doherty", "O'Sullivan", "Ní Bhriain", "Mac Giolla Phádraig", "Gallagher",
         "O'Connor", "MacDonald", "McLaughlin"),
    ),
    "traveller": (
        ("John", "Patrick", "Michael", "Martin", "Tom", "Joe"),
        ("Bridget", "Margaret", "Mary", "Kathleen", "Nora"),
        ("Ward", "McDonagh", "Joyce", "Doran", "Price", "Lee", "Boswell", "Smith", "Stokes"),
    ),
    "polish": (
        ("Łukasz", "Paweł", "Krzysztof", "Michał", "Tomasz", "Wojciech", "Grzegorz", "Piotr",
         "Jakub", "Mateusz"),
        ("Agnieszka", "Małgorzata", "Katarzyna", "Żaneta", "Joanna", "Magdalena", "Aleksandra"),
        ("Nowak", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański",
         "Dąbrowski", "Kowalczyk", "Woźniak", "Mazur", "Król"),
    ),
    "czech": (
        ("Jiří", "Tomáš", "Ondřej", "Lukáš", "Martin", "Radek"),
        ("Tereza", "Lucie", "Zuzana", "Kateřina", "Veronika", "Šárka"),
        ("Dvořák", "Novák", "Svoboda", "Černý", "Procházka", "Kučera", "Veselý", "Horák",
         "Růžička"),
    ),
    "romanian": (
        ("Andrei", "Ionuț", "Mihai", "Ștefan", "Alexandru", "Florin", "Răzvan"),
        ("Ioana", "Elena", "Andreea", "Mădălina", "Cristina", "Roxana"),
        ("Popescu", "Ionescu", "Țurcanu", "Dumitrescu", "Constantin", "Stănescu", "Rusu"),
    ),
    "german": (
        ("Jürgen", "Lukas", "Maximilian", "Stefan", "Jörg", "Uwe"),
        ("Anja", "Jana", "Lea", "Sophie", "Käthe", "Jülide"),
        ("Müller", "Schäfer", "Schröder", "Weiß", "Groß", "Becker", "Köhler", "Fischer"),
    ),
    "iberian": (
        ("José", "João", "António", "Luís", "Tiago", "Jesús", "Álvaro", "Sergio"),
        ("Inês", "Beatriz", "María", "Lucía", "Conceição", "Ana", "Begoña"),
        ("García", "Gonçalves", "Fernández", "Rodrigues", "Peña", "Muñoz", "da Silva",
         "dos Santos", "Martínez", "Pereira", "López"),
    ),
    "turkish": (
        ("Mehmet", "Emre", "Ahmet", "Barış", "Mustafa", "Oğuz", "Çağrı"),
        ("Ayşe", "Elif", "Şeyma", "Gülşen", "Zeynep", "Özlem", "Büşra"),
        ("Yılmaz", "Öztürk", "Çelik", "Doğan", "Kaya", "Şahin", "Aydın", "Güneş"),
    ),
    "south_asian": (
        ("Mohammed", "Muhammad", "Imran", "Amir", "Rajesh", "Sanjay", "Arjun", "Harpreet",
         "Bilal", "Zain", "Abdul", "Kamran"),
        ("Aisha", "Fatima", "Priya", "Anjali", "Nusrat", "Shabnam", "Sana", "Harpreet",
         "Ayesha", "Rukhsana"),
        ("Khan", "Patel", "Ali", "Hussain", "Ahmed", "Singh", "Kaur", "Rahman", "Chowdhury",
         "Islam", "Iqbal", "Sharma", "Begum", "Mahmood", "Akhtar"),
    ),
    "chinese": (
        ("Wei", "Jun", "Hao", "Ming", "Jian", "Kai"),
        ("Mei", "Xiu", "Li Na", "Yan", "Hui", "Jing"),
        ("Wang", "Li", "Zhang", "Chen", "Liu", "Huang", "Wong", "Chan", "Zhou"),
    ),
    "vietnamese": (
        ("Minh", "Tuấn", "Dũng", "Quang", "Hùng", "Phúc"),
        ("Thảo", "Hương", "Linh", "Ngọc", "Trang", "Huyền"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng", "Vũ", "Bùi"),
    ),
    "west_african": (
        ("Chukwuemeka", "Oluwaseun", "Kwame", "Kofi", "Tunde", "Ifeanyi", "Babajide"),
        ("Adaeze", "Chidinma", "Abena", "Folake", "Ngozi", "Yewande", "Efua"),
        ("Okafor", "Adeyemi", "Mensah", "Boateng", "Okonkwo", "Adébáyò", "Owusu", "Asante",
         "Oyelaran"),
    ),
    "caribbean": (
        ("Marcus", "Tyrone", "Delroy", "Jermaine", "Winston", "Andre", "Leon"),
        ("Shanice", "Keisha", "Marcia", "Janelle", "Simone", "Tanisha"),
        ("Campbell", "Williams", "Grant", "Francis", "Clarke", "Reid", "Morgan", "Thomas",
         "McKenzie"),
    ),
    "somali": (
        ("Abdi", "Mohamed", "Abdirahman", "Hassan", "Yusuf", "Liban"),
        ("Hodan", "Amina", "Faduma", "Hibaq", "Sahra", "Ayan"),
        ("Warsame", "Farah", "Abdullahi", "Hassan", "Osman", "Jama", "Mohamud"),
    ),
    "arabic": (
        ("Ahmad", "Omar", "Yusuf", "Khalid", "Karim", "Tariq", "Samir"),
        ("Layla", "Noor", "Mariam", "Hana", "Rania", "Yasmin"),
        ("Al-Hassan", "Al-Sayed", "El-Amin", "Haddad", "Mansour", "Abu-Bakr", "Al-Khatib",
         "Nasser"),
    ),
    "kurdish": (
        ("Rebwar", "Azad", "Dilshad", "Hêmin", "Karwan"),
        ("Şîrîn", "Avin", "Berfîn", "Jîn", "Nazdar"),
        ("Barzani", "Kurdî", "Ahmadi", "Rashid", "Zebari"),
    ),
}

# Which origins a self-defined ethnicity code draws names from (weights). Codes not listed
# fall back to their publication group (from the seed ref_ethnicity_codes), then to "any".
ORIGINS_BY_ETHNICITY_CODE: dict[str, dict[str, float]] = {
    "W1": {"british": 0.97, "irish": 0.03},
    "W2": {"irish": 1.0},
    "W3": {"traveller": 0.8, "irish": 0.2},
    "W9": {"polish": 0.35, "romanian": 0.2, "czech": 0.12, "german": 0.1, "iberian": 0.13,
           "turkish": 0.1},
    "A1": {"south_asian": 1.0},
    "A2": {"south_asian": 1.0},
    "A3": {"south_asian": 1.0},
    "A4": {"chinese": 1.0},
    "A5": {"vietnamese": 0.7, "chinese": 0.3},
    "B1": {"caribbean": 1.0},
    "B2": {"west_african": 1.0},
    "B3": {"somali": 0.7, "west_african": 0.3},
    "O1": {"arabic": 1.0},
    "O2": {"iberian": 0.4, "kurdish": 0.3, "turkish": 0.2, "arabic": 0.1},
}
ORIGINS_BY_ETHNICITY_GROUP: dict[str, dict[str, float]] = {
    "White": {"british": 0.8, "irish": 0.05, "polish": 0.1, "german": 0.05},
    "Asian": {"south_asian": 0.8, "chinese": 0.1, "vietnamese": 0.1},
    "Black": {"caribbean": 0.4, "west_african": 0.4, "somali": 0.2},
    "Mixed": {"british": 0.6, "caribbean": 0.3, "west_african": 0.1},
    "Other": {"arabic": 0.4, "iberian": 0.3, "kurdish": 0.3},
}
ORIGINS_ANY: dict[str, float] = {"british": 0.8, "irish": 0.05, "polish": 0.05,
                                 "south_asian": 0.05, "caribbean": 0.05}
