"""Build hook for what pyproject.toml cannot say: ship the top-level ``resources/`` folder (prompts,
icons) inside the wheel as the ``moss_music.resources`` package, every file in it, whatever folders it
grows, so an installed app finds it (``moss_music.paths.RESOURCES_DIR``).
packaging/wheel_smoke.sh checks that the wheel holds every resource and module of the checkout.
"""

from setuptools import find_namespace_packages, setup

RESOURCES = "moss_music.resources"
resource_packages = [RESOURCES] + [f"{RESOURCES}.{name}" for name in find_namespace_packages("resources")]

setup(
    # Namespace search so folders without __init__.py (migrations/versions) are packages too.
    packages=find_namespace_packages(include=["moss_music*", "worker*", "desktop*"], exclude=["*__pycache__"])
    + resource_packages,
    package_dir={RESOURCES: "resources"},
    package_data={"desktop": ["style.qss"], **{name: ["*"] for name in resource_packages}},
)
