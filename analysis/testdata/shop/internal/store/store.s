// Assembly placeholder: the package has no assembly functions.
