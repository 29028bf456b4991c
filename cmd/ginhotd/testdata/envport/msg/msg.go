// Package msg holds the text the app serves.
package msg

// Text is served on /.
const Text = "v1"
