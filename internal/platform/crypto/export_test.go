package crypto

// SetBatchSize lets tests make ReencryptAll walk several batches with few rows.
func SetBatchSize(k *Keyring, n int) { k.batch = n }
