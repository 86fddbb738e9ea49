#!/usr/bin/env python3
"""Starts deploy/docker-compose.yml with plain podman, for hosts that have podman but no
compose implementation that takes static addresses (Debian bookworm's podman-compose 1.0.3
does not). The same services, addresses, commands, environment and volumes; services start
in depends_on order; db-init runs to its end before the roles start.

  deploy/podman-up.py up [--ues]     network, db, db-init, the roles (and the sipp UEs)
  deploy/podman-up.py down           removes the containers and the network
Containers are named presec-<service>; `podman logs presec-ps` shows a role's log."""
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
NET = "presec"


def expand(text):
    """${NAME:-default} and ${NAME:?message} as compose expands them."""
    def required(m):
        if not os.environ.get(m.group(1)):
            sys.exit("podman-up: %s" % m.group(2))
        return os.environ[m.group(1)]
    text = re.sub(r"\$\{(\w+):\?([^}]*)\}", required, text)
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1), m.group(2)),
                  text)


def order(services):
    done, out = set(), []

    def visit(name):
        if name in done:
            return
        done.add(name)
        for dep in services[name].get("depends_on", []):
            visit(dep)
        out.append(name)
    for name in services:
        visit(name)
    return out


def podman(*args, check=True):
    return subprocess.run(["podman"] + list(args), check=check, capture_output=True, text=True)


def up(compose, with_ues):
    subnet = compose["networks"][NET]["ipam"]["config"][0]["subnet"]
    if podman("network", "exists", NET, check=False).returncode != 0:
        podman("network", "create", "--subnet", subnet, NET)
    services = compose["services"]
    for name in order(services):
        srv = services[name]
        if "ues" in srv.get("profiles", []) and not with_ues:
            continue
        one_shot = name == "db-init" or "ues" in srv.get("profiles", [])
        # up already (up --ues after up); db-init runs again and finds the schema there
        if podman("container", "exists", "presec-" + name, check=False).returncode == 0:
            continue
        cmd = ["run", "--name", "presec-" + name, "--network", NET]
        ip = (srv.get("networks", {}).get(NET) or {}).get("ipv4_address")
        if ip:
            cmd += ["--ip", ip]
        for k, v in (srv.get("environment") or {}).items():
            cmd += ["-e", "%s=%s" % (k, expand(str(v)))]
        for vol in srv.get("volumes", []):
            src, rest = vol.split(":", 1)
            cmd += ["-v", "%s:%s" % (os.path.normpath(os.path.join(HERE, src)), rest)]
        cmd += ["--rm"] if one_shot else ["-d"]
        cmd += [srv["image"]] + [expand(a) for a in srv["command"]]
        r = podman(*cmd, check=False)
        print("%-8s %s" % (name, (r.stdout.strip().splitlines() or [""])[-1][:100]))
        if r.returncode != 0:
            sys.exit("%s failed (%d): %s" % (name, r.returncode, r.stderr.strip()[-2000:]))


def down(compose):
    for name in compose["services"]:
        podman("rm", "-f", "presec-" + name, check=False)
    podman("network", "rm", NET, check=False)


def main():
    with open(os.path.join(HERE, "docker-compose.yml")) as f:
        compose = yaml.safe_load(f)
    if len(sys.argv) > 1 and sys.argv[1] == "down":
        down(compose)
    else:
        up(compose, "--ues" in sys.argv)


if __name__ == "__main__":
    main()
