"""What the tests share beyond fixtures: a fake model hub on 127.0.0.1 (hubserver), miniature
zoo bundles (zoo_bundles), disks that misbehave (disks), DNG files (raw_files), and the waits
of the GUI tests (gui). Imported as ``helpers.X``: pytest puts tests/ on the path."""
