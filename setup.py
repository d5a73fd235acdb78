"""Package layout: `keras_gen/` plus the top-level `applications/`, installed as `keras_gen.applications`,
and the `keras_gen_cli` module of the `keras-gen-train` command.

`package_dir` below is the mapping for regular and editable installs; an
uninstalled source checkout gets the same folder from `keras_gen/__init__.py`.
"""
from setuptools import find_packages
from setuptools import setup

packages = find_packages(include=["keras_gen", "keras_gen.*"])
packages += ["keras_gen.applications"] + [
    "keras_gen.applications." + name for name in find_packages("applications")
]

setup(
    packages=packages,
    # The command line of `keras-gen-train`: parses arguments before any framework import.
    py_modules=["keras_gen_cli"],
    package_dir={"keras_gen.applications": "applications"},
    package_data={
        "keras_gen": ["datasets/data/*"],
        "keras_gen.applications": ["presets/*/*"],
    },
)
