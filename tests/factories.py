"""factory-boy factories, one per model. Synthetic identity codes use individual numbers 900–999 only."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from families.identity import make_temporary_identity_code
from families.models import (
    Child,
    Consent,
    ConsentScope,
    Enrollment,
    EnrollmentStatus,
    Family,
    Guardian,
    Referral,
    ReferralSource,
)
from outcomes.models import (
    MetricUnit,
    MetricUnitCost,
    ObservationSource,
    OutcomeMetric,
    OutcomeObservation,
    ServiceEpisode,
    ServiceNeedsAssessment,
    ServiceVisit,
)
from payments.models import ComparisonGroupCost, PaymentStatement, PaymentStatementLine, PaymentTerms
from programs.models import (
    Fund,
    Municipality,
    NeedCategory,
    Programme,
    Service,
    ServiceKind,
    ServiceProvider,
    TargetArea,
    TargetAreaPostalCode,
)
from sibcase.models import AccessLogEntry, AuditEvent, Role, User


def identity_code(n: int, *, birth: datetime.date | None = None) -> str:
    """A unique temporary identity code for the n-th synthetic person."""
    birth = birth or datetime.date(2016, 1, 1) + datetime.timedelta(days=n // 100)
    return make_temporary_identity_code(birth, 900 + n % 100)


def unused_identity_code(n: int, *, first_birth: datetime.date) -> str:
    """`identity_code` for the n-th person born from `first_birth`, with another individual number of the same birth
    day when the code is already registered: the demo data (seeded in the same database by some test modules)
    draws its codes from the same 900–999 range, so a sequence alone can collide with it depending on test order."""
    birth = first_birth + datetime.timedelta(days=n // 100)
    taken = set(Child.objects.filter(birth_date=birth).values_list("identity_code", flat=True)) | set(
        Guardian.objects.filter(birth_date=birth).values_list("identity_code", flat=True)
    )
    for k in range(100):
        code = make_temporary_identity_code(birth, 900 + (n + k) % 100)
        if code not in taken:
            return code
    raise RuntimeError(f"every temporary identity code of {birth} is taken")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{500 + n % 499:03d}")
    name_fi = factory.Sequence(lambda n: f"Kunta {n}")
    name_sv = factory.Sequence(lambda n: f"Kommun {n}")


class ServiceProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProvider

    code = factory.Sequence(lambda n: f"provider-{n}")
    name = factory.Sequence(lambda n: f"Palveluntuottaja {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"service-{n}")
    name_fi = factory.Sequence(lambda n: f"Palvelu {n}")
    name_sv = factory.Sequence(lambda n: f"Tjänst {n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")
    kind = ServiceKind.FAMILY_PARTNER
    provider = factory.SubFactory(ServiceProviderFactory)
    municipality = None


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund

    name = factory.Sequence(lambda n: f"Rahasto {n}")
    manager = "FIM"


class NeedCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedCategory
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"need-{n}")
    name_fi = factory.Sequence(lambda n: f"Tarve {n}")
    name_sv = factory.Sequence(lambda n: f"Behov {n}")
    name_en = factory.Sequence(lambda n: f"Need {n}")


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"programme-{n}")
    municipality = factory.SubFactory(MunicipalityFactory)
    fund = factory.SubFactory(FundFactory)
    name_fi = factory.Sequence(lambda n: f"Ohjelma {n}")
    name_sv = factory.Sequence(lambda n: f"Program {n}")
    name_en = factory.Sequence(lambda n: f"Programme {n}")
    target_group = "Lapsiperheet"
    start_date = datetime.date(2019, 1, 1)
    enrollment_opens = datetime.date(2019, 1, 1)
    enrollment_cutoff = None
    follow_up_end = datetime.date(2032, 12, 31)

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)


class TargetAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetArea

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Alue {n}")


class TargetAreaPostalCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetAreaPostalCode

    area = factory.SubFactory(TargetAreaFactory)
    postal_code = factory.Sequence(lambda n: f"{n % 100000:05d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Testi"
    last_name = factory.Sequence(lambda n: f"Käyttäjä {n}")
    role = Role.SOCIAL_WORKER
    municipality = factory.SubFactory(MunicipalityFactory)
    provider = factory.Maybe(
        factory.LazyAttribute(lambda user: user.role == Role.PROVIDER_WORKER),
        yes_declaration=factory.SubFactory(ServiceProviderFactory),
        no_declaration=None,
    )
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def programmes(self, create, extracted, **kwargs):
        if create and extracted:
            self.programmes.set(extracted)
        if create:
            self.save()


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    reference = factory.Sequence(lambda n: f"P-T{n:07d}")
    municipality = factory.SubFactory(MunicipalityFactory)
    postal_code = "00980"
    district = "Vuosaari"


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_names = factory.Sequence(lambda n: f"Lapsi{n}")
    last_name = "Testinen"
    identity_code = factory.Sequence(lambda n: unused_identity_code(n, first_birth=datetime.date(2016, 1, 1)))


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    family = factory.SubFactory(FamilyFactory)
    first_names = factory.Sequence(lambda n: f"Huoltaja{n}")
    last_name = "Testinen"
    identity_code = factory.Sequence(lambda n: unused_identity_code(n, first_birth=datetime.date(1985, 1, 1)))
    employment_status = "unemployed"


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    family = factory.SubFactory(FamilyFactory)
    programme = factory.SubFactory(ProgrammeFactory, municipality=factory.SelfAttribute("..family.municipality"))
    source = ReferralSource.NEUVOLA
    referred_on = datetime.date(2024, 1, 10)
    reason = "Arjen kuormitus"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    guardian = factory.SubFactory(GuardianFactory)
    family = factory.SelfAttribute("guardian.family")
    programme = factory.SubFactory(ProgrammeFactory, municipality=factory.SelfAttribute("..family.municipality"))
    scope = ConsentScope.PARTICIPATION
    given_on = datetime.date(2019, 1, 1)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """Bypasses enrollment_create on purpose: for arranging state in tests of other things."""

    class Meta:
        model = Enrollment
        skip_postgeneration_save = True

    family = factory.SubFactory(FamilyFactory)
    programme = factory.SubFactory(ProgrammeFactory, municipality=factory.SelfAttribute("..family.municipality"))
    enrolled_on = datetime.date(2024, 2, 1)
    status = EnrollmentStatus.ACTIVE
    activated_on = factory.LazyAttribute(lambda o: None if o.status == EnrollmentStatus.WAITLISTED else o.enrolled_on)

    @factory.post_generation
    def children(self, create, extracted, **kwargs):
        if not create:
            return
        self.children.set(extracted if extracted is not None else [ChildFactory(family=self.family)])


class ServiceNeedsAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceNeedsAssessment

    family = factory.SubFactory(FamilyFactory)
    started_on = datetime.date(2024, 2, 1)
    summary = "Perhe tarvitsee tukea arkeen."


class ServiceEpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceEpisode

    enrollment = factory.SubFactory(EnrollmentFactory)
    family = factory.SelfAttribute("enrollment.family")
    service = factory.SubFactory(ServiceFactory)
    provider = factory.SelfAttribute("service.provider")
    start_date = datetime.date(2024, 2, 1)


class ServiceVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceVisit

    episode = factory.SubFactory(ServiceEpisodeFactory)
    visited_on = datetime.date(2024, 2, 15)
    duration_minutes = 60


class OutcomeMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeMetric

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"metric_{n}")
    name_fi = factory.Sequence(lambda n: f"Mittari {n}")
    name_sv = factory.Sequence(lambda n: f"Mätare {n}")
    name_en = factory.Sequence(lambda n: f"Metric {n}")
    unit = MetricUnit.DAY


class MetricUnitCostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricUnitCost

    metric = factory.SubFactory(OutcomeMetricFactory)
    valid_from = datetime.date(2019, 1, 1)
    unit_cost = Decimal("350.00")


class OutcomeObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeObservation

    metric = factory.SubFactory(OutcomeMetricFactory)
    child = factory.SubFactory(ChildFactory)
    period_start = datetime.date(2024, 3, 1)
    period_end = factory.SelfAttribute("period_start")
    value = Decimal("1")
    source = ObservationSource.REGISTER_EXTRACT


class PaymentTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentTerms

    programme = factory.SubFactory(ProgrammeFactory)
    effective_from = datetime.date(2019, 1, 1)
    baseline_cost_per_child_year = Decimal("6500.00")
    savings_share = Decimal("0.5000")


class ComparisonGroupCostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComparisonGroupCost

    programme = factory.SubFactory(ProgrammeFactory)
    period_start = datetime.date(2024, 1, 1)
    period_end = datetime.date(2024, 12, 31)
    cost_per_child_year = Decimal("7000.00")


class PaymentStatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentStatement

    terms = factory.SubFactory(PaymentTermsFactory)
    programme = factory.SelfAttribute("terms.programme")
    period_start = datetime.date(2024, 1, 1)
    period_end = datetime.date(2024, 12, 31)


class PaymentStatementLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentStatementLine

    statement = factory.SubFactory(PaymentStatementFactory)
    metric = factory.SubFactory(OutcomeMetricFactory, programme=factory.SelfAttribute("..statement.programme"))
    quantity = Decimal("10")
    unit_cost = Decimal("350.00")
    amount = Decimal("3500.00")


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    actor = factory.SubFactory(UserFactory)
    event_type = "test.event"
    object_type = "families.family"
    object_id = "1"


class AccessLogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessLogEntry

    user = factory.SubFactory(UserFactory)
    user_role = factory.SelfAttribute("user.role")
    action = "view"
    family = factory.SubFactory(FamilyFactory)
    basis = "asiakassuhde"
    occurred_at = factory.LazyFunction(timezone.now)
