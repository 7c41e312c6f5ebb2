"""Base URL rules: https to a public host, http only to the local sandbox."""

import pytest

from cartona import urls

PRODUCTION = "https://supplier-integrations.cartona.com/api/v1/"


def _code(url, **kwargs):
    with pytest.raises(urls.UnsafeURLError) as caught:
        urls.check_base_url(url, **kwargs)
    assert str(caught.value), "a readable message"
    return caught.value.code


@pytest.mark.parametrize(
    "url",
    [
        PRODUCTION,
        "https://supplier-integrations.cartona.space/api/v1/",
        "https://supplier-integrations.cartona.com:8443/api/v1",
        "https://8.8.8.8/api/v1/",
        "https://[2001:4860:4860::8888]/api/v1/",
        "HTTPS://Supplier-Integrations.Cartona.com/api/v1/",
    ],
)
def test_public_https_urls_pass(url):
    assert urls.check_base_url(url) == url


def test_surrounding_spaces_are_dropped():
    assert urls.check_base_url(f"  {PRODUCTION} ") == PRODUCTION


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://supplier-integrations.cartona.com/api/v1/", "scheme"),
        ("ftp://cartona.test/", "scheme"),
        ("cartona.com/api/v1/", "scheme"),
        ("", "syntax"),
        (None, "syntax"),
        (42, "syntax"),
        ("https://", "syntax"),
        ("https:///api/v1/", "syntax"),
        ("https://cartona .com/", "syntax"),
        ("https://cartona.com/api\n/v1/", "syntax"),
        ("https://cartona.com:99999/", "syntax"),
        ("https://cartona.com:x/", "syntax"),
        ("https://user:pw@cartona.com/", "credentials"),
        ("https://user@cartona.com/", "credentials"),
        ("https://cartona.com@169.254.169.254/", "credentials"),
        ("https://cartona.com/api/v1/#frag", "extra"),
        ("https://cartona.com/api/v1/#", "extra"),
        ("https://cartona.com/api/v1/?x=1", "extra"),
        ("https://169.254.169.254/latest/meta-data/", "address"),
        ("https://169.254.0.1/", "address"),
        ("https://10.0.0.5/", "address"),
        ("https://172.16.3.4/", "address"),
        ("https://192.168.1.1/", "address"),
        ("https://100.64.0.1/", "address"),
        ("https://0.0.0.0/", "address"),
        ("https://224.0.0.1/", "address"),
        ("https://240.0.0.1/", "address"),
        ("https://255.255.255.255/", "address"),
        ("https://[fd00::1]/", "address"),
        ("https://[fe80::1]/", "address"),
        ("https://[fec0::1]/", "address"),
        ("https://[::]/", "address"),
        ("https://[ff02::1]/", "address"),
        ("https://[::ffff:169.254.169.254]/", "address"),
        ("https://[::ffff:10.0.0.5]/", "address"),
        ("https://127.0.0.1/", "local_host"),
        ("https://[::1]/", "local_host"),
        ("https://localhost/", "local_host"),
        ("https://LOCALHOST./", "local_host"),
        ("https://cartona.localhost/", "local_host"),
        ("https://2852039166/", "syntax"),
        ("https://0xA9FEA9FE/", "syntax"),
        ("https://0251.0376.0251.0376/", "syntax"),
        ("https://127.1/", "syntax"),
        ("https://metadata/", "internal_host"),
        ("https://metadata.google.internal/", "internal_host"),
        ("https://printer.local/", "internal_host"),
        ("https://router.home.arpa/", "internal_host"),
    ],
)
def test_unsafe_urls_are_refused(url, code):
    assert _code(url) == code


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8071/api/v1/",
        "http://localhost:8071/api/v1/",
        "http://[::1]:8071/api/v1/",
        "http://127.0.0.2/api/v1/",
        "https://127.0.0.1:8071/api/v1/",
    ],
)
def test_the_local_sandbox_needs_the_allowance(url):
    assert _code(url) in ("local_host", "scheme")
    assert urls.check_base_url(url, allow_local=True) == url


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://supplier-integrations.cartona.com/api/v1/", "http"),
        ("http://10.0.0.5/", "address"),
        ("http://169.254.169.254/", "address"),
        ("http://[fd00::1]/", "address"),
        ("http://user:pw@127.0.0.1:8071/", "credentials"),
    ],
)
def test_the_allowance_is_for_loopback_only(url, code):
    assert _code(url, allow_local=True) == code


def _resolver(*addresses):
    calls = []

    def resolve(host, port):
        calls.append((host, port))
        return list(addresses)

    resolve.calls = calls
    return resolve


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "10.0.0.5", "127.0.0.1", "::1", "fd12::3", "0.0.0.0"]
)
def test_names_resolving_to_internal_addresses_are_refused(address):
    resolve = _resolver("93.184.216.34", address)
    with pytest.raises(urls.UnsafeURLError) as caught:
        urls.check_base_url("https://cartona.evil.test/api/v1/", resolve=resolve)
    assert caught.value.code == "address"
    assert address in str(caught.value)
    assert resolve.calls == [("cartona.evil.test", 443)]


def test_names_resolving_to_public_addresses_pass():
    resolve = _resolver("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    url = "https://cartona.example.com:8443/api/v1/"
    assert urls.check_base_url(url, resolve=resolve) == url
    assert resolve.calls == [("cartona.example.com", 8443)]


def test_a_name_that_does_not_resolve_now_is_accepted():
    url = "https://cartona.example.com/api/v1/"
    assert urls.check_base_url(url, resolve=_resolver()) == url


def test_ip_literals_are_not_resolved():
    resolve = _resolver("10.0.0.1")
    assert urls.check_base_url("https://8.8.8.8/", resolve=resolve)
    assert resolve.calls == []


def test_localhost_resolving_elsewhere_is_still_local_only():
    resolve = _resolver("127.0.0.1")
    url = "http://localhost:8071/api/v1/"
    assert urls.check_base_url(url, allow_local=True, resolve=resolve) == url
    with pytest.raises(urls.UnsafeURLError):
        urls.check_base_url(url, allow_local=True, resolve=_resolver("10.1.2.3"))


def test_resolve_host_never_raises():
    assert urls.resolve_host("name.invalid", 443) == []
    assert "127.0.0.1" in urls.resolve_host("127.0.0.1", 80)


def test_error_is_a_value_error_with_the_url_left_out_of_nothing():
    with pytest.raises(ValueError, match="user name or password") as caught:
        urls.check_base_url("https://me:secret@cartona.com/")
    assert "secret" not in str(caught.value)
