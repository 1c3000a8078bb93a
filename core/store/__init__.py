"""The parts behind `core.db.ProcessedDB`: one module per kind of record, over one shared connection.

`connection` opens the file, runs `migrations` and hands out transactions; each other module is one part
(clips and markers, scans, hard negatives, videos, profiles, playlist, export journal, legacy moves,
training data) that `ProcessedDB` exposes under the method names SPEC section 4 fixes.
"""
