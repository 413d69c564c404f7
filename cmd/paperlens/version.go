package main

// version is paperlens's release. sync sends it in the User-Agent of every
// request, so that the Hugging Face and arXiv operators can tell which
// paperlens is calling; raise it with each release.
const version = "0.1.0"
