"""Paths the tests share: the repository's root, its example files and golden summaries."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture
def root():
    return ROOT
