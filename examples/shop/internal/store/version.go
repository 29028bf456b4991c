package store

// Version is shown on /version; edit it to watch ginhotd reload the app.
const Version = "v1"
