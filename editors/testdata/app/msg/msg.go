// Package msg holds the text the fixture app serves.
package msg

// Text is served on /.
const Text = "v1"
