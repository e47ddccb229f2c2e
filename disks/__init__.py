"""Virtual disk images (raw and qcow2 v3) behind one block-device protocol."""
