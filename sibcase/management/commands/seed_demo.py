"""Demo data: the five Lapset SIB programmes with synthetic families. Idempotent: a second run changes nothing.

Every synthetic person has an identity code with an individual number 900–999 (temporary/test codes).
Enrollments go through `enrollment_create` like any other; those dated before a cutoff that has already passed
are recorded as a historical import approved by the demo coordinator.
"""

from __future__ import annotations

import base64
import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from families import services as family_services
from families.assignments import case_assign
from families.identity import make_temporary_identity_code
from families.models import AssignmentRole, ConsentScope, EmploymentStatus, Guardian, ReferralSource
from outcomes import services as outcome_services
from outcomes.models import MetricDirection, MetricUnit, MetricUnitCost, ObservationSource, OutcomeMetric
from payments.models import (
    CounterfactualBasis,
    PaymentStatement,
    PaymentTerms,
    SampleItemOutcome,
    StatementKind,
    StatementStatus,
)
from payments.services.sampling import sample_draw, sample_item_check, statement_population
from payments.services.statements import statement_calculate, statement_transition
from programs import services as programme_services
from programs.models import (
    EligibilityRule,
    Fund,
    Investor,
    InvestorCategory,
    InvestorFlowKind,
    Municipality,
    NeedCategory,
    Programme,
    RuleKind,
    Service,
    ServiceKind,
    ServiceProvider,
    TargetArea,
    TargetAreaPostalCode,
)
from sibcase.models import Role, User
from sibcase.money import round_cents

DEMO_PASSWORD = "sibcase-demo-2026"
# The demo logins' second factor: one published TOTP secret for all of them (demo mode only, like the password).
# Add it to an authenticator app once (base32 below, or the QR code on the enrolment page of a fresh user).
DEMO_TOTP_KEY_HEX = "736962636173652d64656d6f2d746f74702d3236"  # b"sibcase-demo-totp-26"
# The demo logins share a published password: never create them anywhere but in demo mode and the tests.
SEED = 20240601

MUNICIPALITIES = [
    ("091", "Helsinki", "Helsingfors"),
    ("092", "Vantaa", "Vanda"),
    ("109", "Hämeenlinna", "Tavastehus"),
    ("444", "Lohja", "Lojo"),
    ("322", "Kemiönsaari", "Kimitoön"),
]

FIRST_NAMES = [
    "Aino",
    "Eino",
    "Helmi",
    "Väinö",
    "Sofia",
    "Leo",
    "Ella",
    "Onni",
    "Linnea",
    "Elias",
    "Emma",
    "Oliver",
    "Venla",
    "Niilo",
    "Saga",
    "Hugo",
    "Isla",
    "Toivo",
    "Alva",
    "Eetu",
    "Kerttu",
    "Lenni",
    "Ilona",
    "Otso",
]
LAST_NAMES = [
    "Korhonen",
    "Virtanen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lindqvist",
    "Saarinen",
    "Salminen",
    "Karlsson",
    "Heinonen",
    "Niemi",
    "Sjöberg",
]

METRICS = [
    # code, fi, sv, en, unit, [(valid_from, unit cost)]
    (
        "out_of_home_care_days",
        "Sijaishuollon vuorokaudet",
        "Vårddygn i vård utom hemmet",
        "Out-of-home care days",
        MetricUnit.DAY,
        [("2019-01-01", "330.00"), ("2023-01-01", "360.00")],
    ),
    (
        "emergency_placements",
        "Kiireelliset sijoitukset",
        "Brådskande placeringar",
        "Emergency placements",
        MetricUnit.EVENT,
        [("2019-01-01", "7500.00")],
    ),
    (
        "open_care_months",
        "Avohuollon tukitoimien kuukaudet",
        "Månader med stödåtgärder inom öppenvården",
        "Child-welfare open-care months",
        MetricUnit.MONTH,
        [("2019-01-01", "520.00"), ("2023-01-01", "560.00")],
    ),
    (
        "psychiatric_inpatient_days",
        "Psykiatrisen osastohoidon vuorokaudet",
        "Vårddygn inom psykiatrisk slutenvård",
        "Psychiatric inpatient days",
        MetricUnit.DAY,
        [("2019-01-01", "950.00")],
    ),
]


@dataclass
class ProgrammeSpec:
    code: str
    municipality: str
    names: tuple[str, str, str]
    target_group: str
    start: str
    opens: str
    families: int
    services: list[str]
    postal_codes: list[str]
    child_age: tuple[int, int]
    cutoff: str | None = None
    decision: tuple[str, str, str] | None = None
    capacity: int | None = None
    areas: dict[str, list[str]] = field(default_factory=dict)
    need: str | None = None
    total_cap: str = "1500000.00"
    # Eligibility rules kept as data on the programme (None: no such rule).
    age_rule: bool = False
    guardian_statuses: list[str] | None = None
    sources: list[str] | None = None


PROGRAMMES = [
    ProgrammeSpec(
        code="helsinki-perheen-mukana",
        municipality="091",
        names=("Perheen mukana", "Med familjen", "Along with the family"),
        target_group="Perheet, joiden 3–6-vuotiaalla lapsella on arkea haittaavia haasteita keskittymisessä, "
        "käyttäytymisessä, sosiaalisissa taidoissa tai tunne-elämässä ja joiden huoltajalla on koulutustarpeita "
        "tai hän on poissa työelämästä; Vuosaari ja Mellunkylä. Maksuton perheille.",
        start="2020-05-01",
        opens="2020-06-01",
        families=120,
        services=["perhekumppani", "vamos"],
        postal_codes=["00960", "00980", "00990", "00940", "00950", "00970"],
        child_age=(3, 6),
        areas={"Vuosaari": ["00960", "00980", "00990"], "Mellunkylä": ["00940", "00950", "00970"]},
        total_cap="4000000.00",
        age_rule=True,
        guardian_statuses=[
            EmploymentStatus.UNEMPLOYED,
            EmploymentStatus.OUT_OF_WORKFORCE,
            EmploymentStatus.NEEDS_EDUCATION,
        ],
        sources=[ReferralSource.NEUVOLA, ReferralSource.EARLY_CHILDHOOD_EDUCATION, ReferralSource.SELF_REFERRAL],
    ),
    ProgrammeSpec(
        code="vantaa-lapset-sib",
        municipality="092",
        names=("Lapset SIB Vantaa", "Barn SIB Vanda", "Children SIB Vantaa"),
        target_group="Neuropsykiatrisesti oireilevat lapset ja heidän perheensä: palvelutarpeen arvio ja "
        "SOS-Lapsikylän Perhekumppani.",
        start="2019-10-01",
        opens="2019-10-01",
        families=45,
        services=["perhekumppani", "palvelutarpeen-arvio-vantaa"],
        postal_codes=["01300", "01350", "01600", "01370", "01200"],
        child_age=(4, 12),
        cutoff="2021-09-01",
        decision=(
            "Vantaan sosiaali- ja terveyslautakunta",
            "2021-08-17",
            "Uusia lapsia/perheitä ei oteta mukaan ohjelmaan 1.9.2021 alkaen. Ohjelmassa jo mukana olevien "
            "perheiden osalta ei tule muutoksia.",
        ),
        need="neuropsychiatric",
        total_cap="1500000.00",
    ),
    ProgrammeSpec(
        code="hameenlinna-icehearts",
        municipality="109",
        names=("Lapset SIB Hämeenlinna", "Barn SIB Tavastehus", "Children SIB Hämeenlinna"),
        target_group="Esikouluikäiset lapset Icehearts-joukkueissa (enintään 50 lasta).",
        start="2019-08-01",
        opens="2019-08-01",
        families=40,
        services=["icehearts"],
        postal_codes=["13100", "13200", "13210", "13500"],
        child_age=(5, 6),
        capacity=50,
    ),
    ProgrammeSpec(
        code="lohja-perhekumppani",
        municipality="444",
        names=("Lapset SIB Lohja", "Barn SIB Lojo", "Children SIB Lohja"),
        target_group="5–8-vuotiaat lapset perheineen, SOS-Lapsikylän Perhekumppani 11/2019–2024.",
        start="2019-11-01",
        opens="2019-11-01",
        families=40,
        services=["perhekumppani"],
        postal_codes=["08100", "08200", "08500"],
        child_age=(5, 8),
        cutoff="2025-01-01",
        decision=("Lohjan perusturvalautakunta", "2024-06-12", "Ohjelmaan otetaan uusia perheitä vuoden 2024 loppuun."),
    ),
    ProgrammeSpec(
        code="kemionsaari-perhekumppani",
        municipality="322",
        names=("Lapset SIB Kemiönsaari", "Barn SIB Kimitoön", "Children SIB Kemiönsaari"),
        target_group="Lapsiperheet, joilla on arjen kuormitusta; Perhekumppani suomeksi ja ruotsiksi.",
        start="2020-01-01",
        opens="2020-01-01",
        families=30,
        services=["perhekumppani"],
        postal_codes=["25700", "25870", "25830"],
        child_age=(3, 10),
    ),
]


def _d(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


class Command(BaseCommand):
    help = "Create demo data (five programmes, synthetic families, one login per role). Safe to run twice."

    def handle(self, *args, **options):
        # A setting of the demo and test modules only (an overridden settings object keeps it; production has none).
        if not getattr(settings, "ALLOW_DEMO_SEED", False):
            raise CommandError(
                "seed_demo runs only with the demo or test settings (DJANGO_SETTINGS_MODULE=sibcase.settings.demo): "
                "it creates logins with a published password."
            )
        with transaction.atomic():
            reference = self._reference_data()
            users = self._users(reference)
        created = self._families(reference, users)
        self._statements(reference, users)
        self._investors(users)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new families)."))
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for user in User.objects.filter(username__startswith="demo-").order_by("username"):
            self.stdout.write(f"  {user.username:<28} {user.get_role_display()}")
        secret = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode("ascii")
        self.stdout.write(
            f"Second factor for all demo logins: add the TOTP secret {secret} (SHA-1, 6 digits, 30 s) to an "
            "authenticator app and enter its code after the password."
        )

    def _statements(self, reference: dict, users: dict) -> None:
        """Annual statements for the years behind us: older ones approved and paid, last year's validated."""
        this_year = timezone.localdate().year
        evaluator, coordinator = users["demo-arvioija"], users["demo-koordinaattori"]
        finance, admin = users["demo-talous"], users["demo-admin"]
        for programme in reference["programmes"].values():
            for year in range(programme.start_date.year, this_year):
                period = {"period_start": datetime.date(year, 1, 1), "period_end": datetime.date(year, 12, 31)}
                if PaymentStatement.objects.filter(programme=programme, kind=StatementKind.ANNUAL, **period).exists():
                    continue
                statement = statement_calculate(
                    programme=programme, kind=StatementKind.ANNUAL, actor=evaluator, **period
                )
                if statement_population(statement=statement):
                    # A demo-sized sample (80 % confidence, 20 % margin: about ten observations per statement).
                    sample = sample_draw(
                        actor=evaluator,
                        statement=statement,
                        seed=year,
                        confidence=Decimal("0.80"),
                        margin=Decimal("0.20"),
                    )
                    for item in sample.items.all():
                        sample_item_check(actor=evaluator, item=item, outcome=SampleItemOutcome.CONFIRMED)
                statement_transition(actor=evaluator, statement=statement, to_status=StatementStatus.VALIDATED)
                if year < this_year - 1:
                    statement = statement_transition(
                        actor=coordinator, statement=statement, to_status=StatementStatus.APPROVED
                    )
                    if statement.status != StatementStatus.APPROVED:  # over the limit: a second approver
                        statement_transition(actor=admin, statement=statement, to_status=StatementStatus.APPROVED)
                    statement_transition(
                        actor=finance,
                        statement=statement,
                        to_status=StatementStatus.PAID,
                        paid_on=datetime.date(year + 1, 3, 31),
                        payment_reference=f"DEMO-{programme.pk}-{year}",
                    )

    def _investors(self, users: dict) -> None:
        """Three fictional investors, their commitments (the fund's €5 M), draw-downs and one distribution each.
        An investor that exists already is left as it is (running the command twice changes nothing)."""
        fund = Fund.objects.get(name="Lapset SIB -rahasto")
        manager = users["demo-rahasto"]
        investors = [
            ("Demo-säätiö", InvestorCategory.FOUNDATION, "2500000.00"),
            ("Demo-eläkevakuutus", InvestorCategory.COMMERCIAL, "1500000.00"),
            ("Demo-vaikuttavuussijoittaja", InvestorCategory.IMPACT_INVESTOR, "1000000.00"),
        ]
        with transaction.atomic():
            for name, category, committed in investors:
                if Investor.objects.filter(name=name).exists():
                    continue
                investor = programme_services.investor_create(actor=manager, name=name, category=category)
                committed = Decimal(committed)
                flows = [
                    (InvestorFlowKind.COMMITMENT, committed, datetime.date(2019, 9, 1)),
                    (InvestorFlowKind.DRAWDOWN, committed * Decimal("0.40"), datetime.date(2019, 10, 1)),
                    (InvestorFlowKind.DRAWDOWN, committed * Decimal("0.30"), datetime.date(2021, 1, 15)),
                    (InvestorFlowKind.DISTRIBUTION, committed * Decimal("0.10"), datetime.date(2024, 6, 28)),
                ]
                for kind, amount, day in flows:
                    programme_services.investor_flow_record(
                        actor=manager,
                        fund=fund,
                        investor=investor,
                        kind=kind,
                        amount=round_cents(amount),
                        occurred_on=day,
                    )

    # Reference data --------------------------------------------------------------------------------------------

    def _reference_data(self) -> dict:
        municipalities = {
            code: Municipality.objects.update_or_create(code=code, defaults={"name_fi": fi, "name_sv": sv})[0]
            for code, fi, sv in MUNICIPALITIES
        }
        providers = {
            code: ServiceProvider.objects.update_or_create(code=code, defaults={"name": name, "business_id": bid})[0]
            for code, name, bid in [
                ("sos-lapsikyla", "SOS-Lapsikylä ry", ""),
                ("diakonissalaitos", "Helsingin Diakonissalaitos", ""),
                ("icehearts", "Icehearts ry", ""),
            ]
        }
        fund = Fund.objects.update_or_create(
            name="Lapset SIB -rahasto",
            defaults={
                "manager": "FIM Pääomarahastot (yhteistyössä Lastensuojelun Keskusliiton kanssa)",
                "committed_capital": Decimal("5000000.00"),
            },
        )[0]
        need = NeedCategory.objects.update_or_create(
            code="neuropsychiatric",
            defaults={
                "name_fi": "Neuropsykiatrinen oireilu",
                "name_sv": "Neuropsykiatriska symtom",
                "name_en": "Neuropsychiatric symptoms",
            },
        )[0]
        for code, fi, sv, en in [
            ("attention", "Keskittymisen haasteet", "Svårigheter med koncentration", "Attention difficulties"),
            ("behaviour", "Käyttäytymisen haasteet", "Beteendesvårigheter", "Behavioural difficulties"),
            ("social_skills", "Sosiaalisten taitojen haasteet", "Svårigheter med sociala färdigheter", "Social skills"),
            ("emotions", "Tunne-elämän haasteet", "Emotionella svårigheter", "Emotional difficulties"),
        ]:
            NeedCategory.objects.update_or_create(code=code, defaults={"name_fi": fi, "name_sv": sv, "name_en": en})
        services = {
            "perhekumppani": Service.objects.update_or_create(
                code="perhekumppani",
                defaults={
                    "name_fi": "Perhekumppani",
                    "name_sv": "Familjekompanjon",
                    "name_en": "Family partner (Perhekumppani)",
                    "kind": ServiceKind.FAMILY_PARTNER,
                    "provider": providers["sos-lapsikyla"],
                    "municipality": None,
                },
            )[0],
            "vamos": Service.objects.update_or_create(
                code="vamos",
                defaults={
                    "name_fi": "Vamos – työ- ja koulutuspolku",
                    "name_sv": "Vamos – väg till arbete och studier",
                    "name_en": "Vamos – into work or education",
                    "kind": ServiceKind.EMPLOYMENT,
                    "provider": providers["diakonissalaitos"],
                    "municipality": None,
                },
            )[0],
            "icehearts": Service.objects.update_or_create(
                code="icehearts",
                defaults={
                    "name_fi": "Icehearts-joukkue",
                    "name_sv": "Icehearts-lag",
                    "name_en": "Icehearts team",
                    "kind": ServiceKind.TEAM_SPORT,
                    "provider": providers["icehearts"],
                    "municipality": None,
                },
            )[0],
        }
        for spec in PROGRAMMES:
            code = f"palvelutarpeen-arvio-{spec.code.split('-')[0]}"
            services[code] = Service.objects.update_or_create(
                code=code,
                defaults={
                    "name_fi": "Palvelutarpeen arvio",
                    "name_sv": "Bedömning av servicebehov",
                    "name_en": "Service-needs assessment",
                    "kind": ServiceKind.NEEDS_ASSESSMENT,
                    "provider": None,
                    "municipality": municipalities[spec.municipality],
                },
            )[0]

        programmes = {}
        for spec in PROGRAMMES:
            body, decision_date, decision_text = spec.decision or ("", None, "")
            programme = Programme.objects.update_or_create(
                code=spec.code,
                defaults={
                    "municipality": municipalities[spec.municipality],
                    "fund": fund,
                    "name_fi": spec.names[0],
                    "name_sv": spec.names[1],
                    "name_en": spec.names[2],
                    "target_group": spec.target_group,
                    "start_date": _d(spec.start),
                    "enrollment_opens": _d(spec.opens),
                    "enrollment_cutoff": _d(spec.cutoff) if spec.cutoff else None,
                    "cutoff_decision_body": body,
                    "cutoff_decision_date": _d(decision_date) if decision_date else None,
                    "cutoff_decision_text": decision_text,
                    "follow_up_end": _d("2032-12-31"),
                    "capacity": spec.capacity,
                },
            )[0]
            programme.services.set(
                [services[s] for s in spec.services] + [services[f"palvelutarpeen-arvio-{spec.code.split('-')[0]}"]]
            )
            for area_name, codes in spec.areas.items():
                area = TargetArea.objects.get_or_create(programme=programme, name=area_name)[0]
                for postal_code in codes:
                    TargetAreaPostalCode.objects.get_or_create(area=area, postal_code=postal_code)
            self._rules(programme, spec, need)
            for code, fi, sv, en, unit, costs in METRICS:
                metric = OutcomeMetric.objects.update_or_create(
                    programme=programme,
                    code=code,
                    defaults={
                        "name_fi": fi,
                        "name_sv": sv,
                        "name_en": en,
                        "unit": unit,
                        "direction": MetricDirection.LOWER_IS_BETTER,
                        "is_cost_bearing": True,
                    },
                )[0]
                for valid_from, cost in costs:
                    # Unit costs are versioned data with a history: a second run writes nothing.
                    MetricUnitCost.objects.get_or_create(
                        metric=metric, valid_from=_d(valid_from), defaults={"unit_cost": Decimal(cost)}
                    )
            # Terms are versioned data: once a statement used them they never change, so only a first run makes them.
            PaymentTerms.objects.get_or_create(
                programme=programme,
                effective_from=programme.start_date,
                defaults={
                    "decision_body": f"{programme.municipality.name_fi}: sopimus Lapset SIB -rahaston kanssa",
                    "reason": "Demoaineisto",
                    "counterfactual_basis": CounterfactualBasis.FIXED_BASELINE,
                    "baseline_cost_per_child_year": Decimal("6500.00"),
                    "savings_share": Decimal("0.5000"),
                    "period_cap": Decimal("600000.00"),
                    "total_cap": Decimal(spec.total_cap),
                    "carry_forward_negative": True,
                },
            )
            programmes[spec.code] = programme
        return {
            "municipalities": municipalities,
            "providers": providers,
            "programmes": programmes,
            "services": services,
            "need": need,
        }

    def _rules(self, programme: Programme, spec: ProgrammeSpec, need: NeedCategory) -> None:
        def rule(kind, **values):
            return EligibilityRule.objects.update_or_create(
                programme=programme, kind=kind, is_active=True, defaults=values
            )[0]

        if spec.age_rule:
            rule(RuleKind.CHILD_AGE, min_age=spec.child_age[0], max_age=spec.child_age[1], position=1)
        if spec.areas:
            rule(RuleKind.TARGET_AREA, position=2)
        if spec.guardian_statuses:
            rule(RuleKind.GUARDIAN_STATUS, guardian_statuses=[str(s) for s in spec.guardian_statuses], position=3)
        if spec.sources:
            rule(RuleKind.REFERRAL_SOURCE, referral_sources=[str(s) for s in spec.sources], position=4)
        if spec.need:
            rule(RuleKind.NEED_CATEGORY, position=5).need_categories.set([need])

    def _users(self, reference: dict) -> dict:
        users = {}

        def user(username, role, first, last, **scope):
            obj, created = User.objects.get_or_create(
                username=username, defaults={"role": role, "first_name": first, "last_name": last, **scope}
            )
            if created:
                obj.set_password(DEMO_PASSWORD)
                if role == Role.ADMIN:
                    obj.is_staff = obj.is_superuser = True
                obj.save()
            TOTPDevice.objects.get_or_create(
                user=obj, name="demo", defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True}
            )
            users[username] = obj
            return obj

        for code, name, _sv in MUNICIPALITIES:
            slug = name.lower().replace("ä", "a").replace("ö", "o")
            user(
                f"demo-sosiaalityo-{slug}",
                Role.SOCIAL_WORKER,
                "Demo",
                f"Sosiaalityöntekijä {name}",
                municipality=reference["municipalities"][code],
            )
        coordinator = user("demo-koordinaattori", Role.COORDINATOR, "Demo", "Koordinaattori")
        coordinator.programmes.set(reference["programmes"].values())
        # Four eyes: the finance office's coordinator co-approves large statements and records the payments.
        finance = user("demo-talous", Role.COORDINATOR, "Demo", "Talouskoordinaattori")
        finance.programmes.set(reference["programmes"].values())
        user(
            "demo-perhekumppani",
            Role.PROVIDER_WORKER,
            "Demo",
            "Perhekumppani (SOS-Lapsikylä)",
            provider=reference["providers"]["sos-lapsikyla"],
        )
        user(
            "demo-vamos",
            Role.PROVIDER_WORKER,
            "Demo",
            "Vamos (Diakonissalaitos)",
            provider=reference["providers"]["diakonissalaitos"],
        )
        user("demo-arvioija", Role.EVALUATOR, "Demo", "Arvioija")
        user("demo-rahasto", Role.FUND_MANAGER, "Demo", "Rahastonhoitaja")
        user("demo-admin", Role.ADMIN, "Demo", "Ylläpitäjä")
        return users

    # Families --------------------------------------------------------------------------------------------------

    def _families(self, reference: dict, users: dict) -> int:
        rng = random.Random(SEED)
        used_individuals: dict[str, set[int]] = {}
        coordinator = users["demo-koordinaattori"]
        created = 0

        def code_for(birth: datetime.date) -> str:
            taken = used_individuals.setdefault(f"{birth:%d%m%y}", set())
            individual = rng.choice([n for n in range(900, 1000) if n not in taken])
            taken.add(individual)
            return make_temporary_identity_code(birth, individual)

        for spec in PROGRAMMES:
            programme = reference["programmes"][spec.code]
            social_worker = User.objects.get(role=Role.SOCIAL_WORKER, municipality=programme.municipality)
            last_day = min(
                _d(spec.cutoff) - datetime.timedelta(days=1) if spec.cutoff else _d("2025-10-31"), _d("2025-10-31")
            )
            first_day = max(programme.enrollment_opens, _d("2020-01-01"))
            for _n in range(spec.families):
                # Everything random is drawn before anything is checked, so a re-run draws the same families.
                enrolled_on = first_day + datetime.timedelta(days=rng.randrange((last_day - first_day).days))
                referred_on = enrolled_on - datetime.timedelta(days=rng.randrange(7, 60))
                last_name = rng.choice(LAST_NAMES)
                guardian_birth = datetime.date(rng.randrange(1980, 1998), rng.randrange(1, 13), rng.randrange(1, 29))
                guardian_code = code_for(guardian_birth)
                guardian_first = rng.choice(FIRST_NAMES)
                status = rng.choice(
                    spec.guardian_statuses
                    or [EmploymentStatus.UNEMPLOYED, EmploymentStatus.NEEDS_EDUCATION, EmploymentStatus.EMPLOYED]
                )
                child_count = rng.choice([1, 1, 1, 2])
                children = []
                for _c in range(child_count):
                    age_days = rng.randrange(spec.child_age[0] * 365 + 30, (spec.child_age[1] + 1) * 365 - 30)
                    birth = referred_on - datetime.timedelta(days=age_days)
                    children.append((rng.choice(FIRST_NAMES), code_for(birth)))
                postal_code = rng.choice(spec.postal_codes)
                district = next((name for name, codes in spec.areas.items() if postal_code in codes), "")
                source = rng.choice(spec.sources or list(ReferralSource.values))
                exit_after = rng.choice([None, None, rng.randrange(180, 900)])
                observations = [
                    (rng.randrange(len(METRICS)), rng.randrange(0, 1200), rng.choice([1, 2, 3, 5, 8, 14, 30]))
                    for _o in range(rng.choice([0, 0, 1, 2, 3, 4]))
                ]
                if Guardian.objects.filter(identity_code=guardian_code).exists():
                    continue
                with transaction.atomic():
                    self._one_family(
                        programme=programme,
                        actor=social_worker,
                        coordinator=coordinator,
                        reference=reference,
                        spec=spec,
                        postal_code=postal_code,
                        district=district,
                        last_name=last_name,
                        guardian=(guardian_first, guardian_code, status),
                        children=children,
                        source=source,
                        referred_on=referred_on,
                        enrolled_on=enrolled_on,
                        exit_after=exit_after,
                        observations=observations,
                    )
                created += 1
        return created

    def _one_family(
        self,
        *,
        programme,
        actor,
        coordinator,
        reference,
        spec,
        postal_code,
        district,
        last_name,
        guardian,
        children,
        source,
        referred_on,
        enrolled_on,
        exit_after,
        observations,
    ) -> None:
        family = family_services.family_create(
            actor=actor, municipality_id=programme.municipality_id, postal_code=postal_code, district=district
        )
        guardian_obj = family_services.guardian_create(
            actor=actor,
            family=family,
            first_names=guardian[0],
            last_name=last_name,
            identity_code=guardian[1],
            employment_status=guardian[2],
        )
        need_ids = [reference["need"].pk] if spec.need else []
        child_objs = [
            family_services.child_create(
                actor=actor,
                family=family,
                first_names=first,
                last_name=last_name,
                identity_code=code,
                need_category_ids=need_ids,
            )
            for first, code in children
        ]
        referral = family_services.referral_create(
            actor=actor,
            family=family,
            programme=programme,
            source=source,
            referred_on=referred_on,
            reason="Demoaineisto: perheen arjessa on kuormitusta ja lapsella tuen tarvetta.",
        )
        if actor.role == Role.SOCIAL_WORKER:
            case_assign(actor=actor, family=family, worker=actor, role=AssignmentRole.RESPONSIBLE)
        family_services.consent_give(
            actor=actor,
            guardian=guardian_obj,
            programme=programme,
            scope=ConsentScope.PARTICIPATION,
            given_on=referred_on,
        )
        # Disclosure to the service provider: without it the provider's workers do not see the family.
        family_services.consent_give(
            actor=actor,
            guardian=guardian_obj,
            programme=programme,
            scope=ConsentScope.PROVIDER_SHARING,
            given_on=referred_on,
        )
        enrollment = family_services.enrollment_create(
            actor=actor,
            programme=programme,
            family=family,
            enrolled_on=enrolled_on,
            children=child_objs,
            referral=referral,
            backdating_approved_by=coordinator,
            backdating_reason="Demoaineiston historiallinen tuonti (ennen katkaisupäivää tehdyt päätökset).",
            refresh_preview=False,  # the seeder calculates the statements itself at the end
        )
        services = list(programme.services.filter(provider__isnull=False))
        for service in services:
            outcome_services.episode_create(actor=actor, enrollment=enrollment, service=service, start_date=enrolled_on)
        metrics = list(programme.metrics.order_by("code"))
        for metric_index, offset, value in observations:
            start = enrolled_on + datetime.timedelta(days=offset)
            if start > datetime.date(2025, 12, 31):
                continue
            outcome_services.observation_create(
                actor=actor,
                metric=metrics[metric_index],
                child=child_objs[0],
                period_start=start,
                period_end=start,
                value=Decimal(value if metrics[metric_index].unit != MetricUnit.EVENT else 1),
                source=ObservationSource.REGISTER_EXTRACT,
            )
        if exit_after:
            exit_date = enrolled_on + datetime.timedelta(days=exit_after)
            if exit_date <= datetime.date(2025, 12, 31):
                family_services.enrollment_exit(
                    actor=actor, enrollment=enrollment, exit_date=exit_date, reason="completed"
                )
