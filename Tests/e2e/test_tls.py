"""TLS: with a certificate and key generated at test time, the server speaks only https:// and
wss:// on its port; a client that trusts the certificate gets the API and the WebSocket."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from twclient import HOST, Client, Server, http, publish, unique


def make_certificate(folder) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "taskwire-e2e")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = make_certificate(folder)
    s = Server(["--tls-cert", cert, "--tls-key", key], log_dir=folder, name="tls")
    s.ssl_context = ssl.create_default_context(cafile=cert)
    s.start()
    yield s
    s.kill()


def test_https_and_wss_with_a_certificate_made_at_test_time(tls_server):
    assert http(tls_server, "GET", "/healthz").status == 200
    stream = unique("tls")
    with Client(tls_server, query=f"?subscribe={stream}", ssl=tls_server.ssl_context) as c:
        assert publish(tls_server, stream, {"secure": True}) == 1
        assert c.event(stream)["data"] == {"secure": True}
    r = http(tls_server, "POST", "/api/v1/tasks", {"name": "over-tls"})
    assert r.status == 201, r.body


def test_plain_http_on_the_tls_port_gets_no_answer(tls_server):
    with socket.create_connection((HOST, tls_server.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = sock.recv(4096)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert b"HTTP/1.1 200" not in data


def test_a_client_that_does_not_trust_the_certificate_is_refused(tls_server):
    untrusting = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        with socket.create_connection((HOST, tls_server.port), timeout=5) as sock:
            with untrusting.wrap_socket(sock, server_hostname=HOST):
                pass
