def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="sv"' in response.get_data(as_text=True)


def test_staff_logs_in(client, auth, world):
    response = auth.login(world.email("staff_a"))
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
