"""``python -m threadsmith ...`` = ``threadsmith ...`` (what ``accelerate launch -m threadsmith train ...`` runs)."""

from threadsmith.cli import main

if __name__ == "__main__":
    main()
