"""The deployment files stay valid: compose file, Dockerfiles, Makefile targets, service entry points."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ('myems-api', 'myems-modbus-tcp', 'myems-mqtt', 'myems-cleaning', 'myems-normalization', 'myems-aggregation')


def test_compose_file_is_valid() -> None:
    compose = shutil.which('docker-compose')
    assert compose, 'docker-compose (Debian package) is installed by scripts/stack.sh install'
    result = subprocess.run(
        [compose, '-f', str(ROOT / 'docker-compose.yml'), 'config', '-q'], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_built_image_has_its_dockerfile() -> None:
    text = (ROOT / 'docker-compose.yml').read_text()
    dockerfiles = re.findall(r'dockerfile:\s*([\w./-]+)', text)
    assert len(set(dockerfiles)) == 8
    for path in dockerfiles:
        assert (ROOT / path).is_file(), path


@pytest.mark.parametrize('service', SERVICES)
def test_each_service_is_a_package_with_an_entry_point(service: str) -> None:
    package = service.replace('-', '_')
    assert (ROOT / service / 'pyproject.toml').is_file()
    assert (ROOT / service / package / '__main__.py').is_file()


def test_makefile_help_lists_the_two_commands() -> None:
    result = subprocess.run(['make', '-s', '-C', str(ROOT), 'help'], capture_output=True, text=True, check=True)
    assert 'make demo' in result.stdout and 'make test' in result.stdout
    readme = (ROOT / 'README.md').read_text()
    assert 'make demo' in readme and 'make test' in readme


def test_ci_runs_the_readme_test_command() -> None:
    assert 'make test' in (ROOT / '.ci' / 'run').read_text()
