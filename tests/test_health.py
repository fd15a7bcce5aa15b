def test_healthz_answers_a_logged_in_user_with_a_constant(learner_client):
    response = learner_client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_healthz_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get("/healthz")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_healthz_costs_only_the_session_user(learner_client, django_assert_max_num_queries):
    learner_client.get("/healthz")  # the first request after login rewrites the session
    with django_assert_max_num_queries(2):  # session row + user (with profile)
        learner_client.get("/healthz")


def test_livez_answers_a_load_balancers_anonymous_probe_without_the_database(client):
    # No `db` fixture: pytest-django fails any database access in this test.
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert not response.cookies  # no session, no CSRF cookie: a probe leaves nothing behind


def test_livez_answers_a_logged_in_user_too(learner_client):
    assert learner_client.get("/livez").content == b"ok"


def test_livez_takes_only_get(client, db):
    assert client.post("/livez").status_code == 405
