"""factory_boy factories for the desk's people, customers, orders and carrier events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import ADVOCATES, MANAGERS, Customer, Order, ShipmentEvent

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user; ``UserFactory(groups=["advocates"])`` puts them in staff groups."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@desk.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def groups(self, create: bool, names: list[str] | None, **kwargs) -> None:
        if create and names:
            self.groups.add(*Group.objects.filter(name__in=names))

    @classmethod
    def advocate(cls, **kwargs):
        return cls(groups=[ADVOCATES], **kwargs)

    @classmethod
    def manager(cls, **kwargs):
        return cls(groups=[MANAGERS], **kwargs)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_ref = factory.Sequence(lambda n: f"C-{10000 + n}")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    company = factory.Faker("company")
    segment = "retail"
    language = Customer.Language.EN
    value_tier = Customer.ValueTier.STANDARD
    email_consent = True


class OrderFactory(factory.django.DjangoModelFactory):
    """An order placed ten days ago, promised in three days, not yet shipped."""

    class Meta:
        model = Order

    external_ref = factory.Sequence(lambda n: f"O-{50000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    value = Decimal("120.00")
    currency = "EUR"
    critical = False
    ordered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    promised_delivery_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    expected_delivery_at = factory.SelfAttribute("promised_delivery_at")
    shipped_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=8))
    carrier = "DHL"
    tracking_number = factory.Sequence(lambda n: f"JD{900000 + n}")


class ShipmentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShipmentEvent

    order = factory.SubFactory(OrderFactory)
    order_ref = factory.SelfAttribute("order.external_ref")
    tracking_number = factory.SelfAttribute("order.tracking_number")
    code = ShipmentEvent.Code.IN_TRANSIT
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=6))
    location = "Milano hub"


class CaseFactory(factory.django.DjangoModelFactory):
    """A case opened through ``services.open_case``, so it has its timeline, priority and
    SLA; by default about one new order of its customer. ``orders=[...]`` to choose."""

    class Meta:
        model = "cases.Case"

    customer = factory.SubFactory(CustomerFactory)
    origin = "manual"
    kind = "late_delivery"
    title = "The oven arrived late for the weekend"
    description = "The customer's restaurant opened without its new oven."

    @classmethod
    def _create(cls, model_class, *args, orders=None, **kwargs):
        from cases import services

        if orders is None:
            orders = [OrderFactory(customer=kwargs["customer"])]
        return services.open_case(orders=orders, **kwargs)
