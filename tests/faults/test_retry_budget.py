"""The calculation task's retries outlast a database restart of five minutes, whatever the jitter draws."""

from celery.utils.time import get_exponential_backoff_interval

from payments.tasks import calculate_statement

FIVE_MINUTES = 5 * 60


def _shortest_wait_before_giving_up(task) -> float:
    """Seconds between the first failure and the last retry, in the least favourable case.

    With full jitter a countdown may be drawn as 0, so only a task without jitter has a guaranteed budget.
    """
    if task.retry_jitter:
        return 0
    return sum(
        get_exponential_backoff_interval(
            factor=task.retry_backoff, retries=n, maximum=task.retry_backoff_max, full_jitter=False
        )
        for n in range(task.max_retries)
    )


def test_retry_budget_covers_a_five_minute_database_restart():
    assert _shortest_wait_before_giving_up(calculate_statement) >= FIVE_MINUTES


def test_retry_budget_is_bounded_so_a_dead_database_is_reported():
    assert _shortest_wait_before_giving_up(calculate_statement) <= 30 * 60
