"""/healthz answers any prober, while every other page keeps host validation and the HTTPS redirect."""


def test_health_answers_a_prober_that_does_not_know_the_host_name(client, db, settings):
    settings.ALLOWED_HOSTS = ["leads.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="172.18.0.5:8000")  # a container's address, plain HTTP
    assert response.status_code == 200 and response.json()["database"] is True


def test_pages_still_refuse_an_unknown_host_and_redirect_to_https(client, db, settings):
    settings.ALLOWED_HOSTS = ["leads.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/", HTTP_HOST="172.18.0.5:8000").status_code == 400
    redirect = client.get("/accounts/login/", HTTP_HOST="leads.example.org")
    assert redirect.status_code == 301 and redirect.url == "https://leads.example.org/accounts/login/"


def test_health_is_not_cached(client, db):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
