"""The user of each request comes with their staff groups, in one query."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.auth import in_groups, is_manager
from cases.backends import StaffBackend
from cases.models import ADVOCATES, MANAGERS
from tests.cases.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("groups", "advocate", "manager"), [
    ((), False, False),
    ((ADVOCATES,), True, False),
    ((MANAGERS,), False, True),
    ((ADVOCATES, MANAGERS), True, True),
])
def test_the_staff_groups_come_with_the_user(groups, advocate, manager):
    user = UserFactory()
    user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in groups))
    user.groups.add(Group.objects.get_or_create(name="auditors")[0])

    with CaptureQueriesContext(connection) as queries:
        loaded = StaffBackend().get_user(user.pk)
        answers = (in_groups(loaded, ADVOCATES), is_manager(loaded),
                   in_groups(loaded, ADVOCATES, MANAGERS))
    assert len(queries) == 1
    assert answers == (advocate, manager, advocate or manager)


def test_an_inactive_or_missing_user_is_nobody():
    user = UserFactory(is_active=False)
    assert StaffBackend().get_user(user.pk) is None
    assert StaffBackend().get_user(user.pk + 1000) is None


def test_in_groups_refuses_a_group_it_does_not_know():
    with pytest.raises(ValueError, match="staff groups"):
        in_groups(UserFactory(), "auditors")


def test_a_staff_page_reads_the_user_and_groups_in_one_query(client):
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name=ADVOCATES)[0])
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cases:customers")).status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    user_reads = [text for text in sql if f'WHERE "auth_user"."id" = {user.pk}' in text]
    assert len(user_reads) == 1 and "EXISTS" in user_reads[0]
    assert not [text for text in sql if text.startswith('SELECT "auth_group"')]
