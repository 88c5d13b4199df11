from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from families.apis import EnrollmentViewSet, FamilyViewSet, ReferralViewSet
from outcomes.apis import EpisodeViewSet, ObservationViewSet
from payments.apis import StatementViewSet
from programs.apis import ProgrammeViewSet

app_name = "api"

router = DefaultRouter()
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("families", FamilyViewSet, basename="family")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("episodes", EpisodeViewSet, basename="episode")
router.register("observations", ObservationViewSet, basename="observation")
router.register("payment-statements", StatementViewSet, basename="payment-statement")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
