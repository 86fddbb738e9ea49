"""Test PKI made with the openssl command line: a CA, server certificates for the PS's Ut
(HTTPS) and for the Authentication Proxy, and client certificates whose subject CN is a
subscriber's IMPU (how the reference AP authenticates a UE). Throwaway, per topology."""
import os
import subprocess


def _run(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


class TestPKI:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca_key = os.path.join(directory, "ca-key.pem")
        self.ca = os.path.join(directory, "ca.pem")
        _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", self.ca_key, "-out", self.ca, "-days", "2",
             "-subj", "/CN=presec test CA")

    def issue(self, name, cn, ips=(), client=False):
        """(cert, key) for `cn`; server certificates carry the IP addresses as SANs."""
        key = os.path.join(self.dir, name + "-key.pem")
        csr = os.path.join(self.dir, name + ".csr")
        cert = os.path.join(self.dir, name + "-cert.pem")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            if client:
                f.write("extendedKeyUsage=clientAuth\n")
            else:
                f.write("extendedKeyUsage=serverAuth\nsubjectAltName=%s\n"
                        % ",".join("IP:%s" % ip for ip in ips))
        _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=%s" % cn)
        _run("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
             "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        os.chmod(key, 0o644)  # kamailio and nginx read it after dropping privileges
        return cert, key
