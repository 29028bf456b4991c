package main

import "app/pb"

func main() { _ = pb.File_greet_proto }
