"""Where the repository's declared artefacts live (resolved from this file, not the cwd)."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
CONTRACTS_DIR = PACKAGE_DIR / "contracts"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"  # __sources.yml (raw), _dq__sources.yml (generated)
