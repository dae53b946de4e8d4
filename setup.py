"""Build hook for the one thing pyproject.toml cannot say: ship the top-level ``resources/`` folder
(prompts, icons) inside the wheel as the ``moss_music.resources`` package, so an installed app finds it
(``moss_music.paths.RESOURCES_DIR``). Which files each package ships is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

RESOURCES = "moss_music.resources"

setup(
    # Namespace search so folders without __init__.py (migrations/versions) are packages too.
    packages=find_namespace_packages(include=["moss_music*", "worker*", "desktop*"], exclude=["*__pycache__"])
    + [RESOURCES]
    + [f"{RESOURCES}.{name}" for name in find_namespace_packages("resources")],
    package_dir={RESOURCES: "resources"},
)
