"""Package layout: `keras_gen/` plus `applications/`, installed as `keras_gen.applications`."""
from setuptools import find_packages
from setuptools import setup

packages = find_packages(include=["keras_gen", "keras_gen.*"])
packages += ["keras_gen.applications"] + [
    "keras_gen.applications." + name for name in find_packages("applications")
]

setup(
    packages=packages,
    package_dir={"keras_gen.applications": "applications"},
    package_data={
        "keras_gen": ["datasets/data/*"],
        "keras_gen.applications": ["presets/*/*"],
    },
)
