-- Where a change came from, when Tandem made it from another one: the
-- merged change it reverts (Gerrit's revert_of), and the change and patch
-- set it is a cherry-pick of (cherry_pick_of_change, _patch_set). NULL
-- otherwise.
-- Keep in step with ../postgresql/0005_provenance.sql.

ALTER TABLE changes ADD COLUMN revert_of BIGINT;
ALTER TABLE changes ADD COLUMN cherry_pick_of_change BIGINT;
ALTER TABLE changes ADD COLUMN cherry_pick_of_ps INTEGER;
CREATE INDEX changes_revert_of ON changes (revert_of);
CREATE INDEX changes_cherry_pick_of ON changes (cherry_pick_of_change);
